"""What the generated glue (``_glue``, one function per tensor function of the C ABI) shares:
the checks that sizing outputs needs, numpy allocation, and errors renamed after the public
function the user called. The library checks every tensor of a call itself."""
import math
import re

import numpy as np

# What the extension raises for a failed call; UnsupportedError is a TypeError and a ValueError.
ERRORS = (ValueError, TypeError, MemoryError, RuntimeError)

# The largest element count of a tensor the library accepts (its bytes must fit an int64).
_MAX_ELEMENTS = (2 ** 63 - 1) // 8


def dims(fn, empty, tensor, rank, name, layout):
    """The shape of an input whose dims size an output: it must be an array of the layer
    (`empty.kind`, described by `empty.takes`) of `rank` dims (any number for rank -1)."""
    if not isinstance(tensor, empty.kind):
        raise TypeError(f"{fn}: {name} must be {empty.takes}, got {type(tensor).__name__}")
    shape = tensor.shape
    if rank >= 0 and len(shape) != rank:
        raise ValueError(f"{fn}: {name} must have {rank} dims {layout}, got shape {tuple(shape)}")
    return shape


def allocate(fn, empty, name, shape, layout, like, index):
    """empty(shape, like, index) for the output `name` of the public function `fn`: a shape whose
    size exceeds what the library takes is refused before anything is allocated (symbolic sizes
    of fake tensors pass), and an allocation that fails is a MemoryError naming the output."""
    size = math.prod(shape)
    if type(size) is int and size > _MAX_ELEMENTS:
        raise ValueError(f"{fn}: the arguments make {name} of shape {tuple(shape)} {layout}, which overflows the "
                         f"address space")
    try:
        return empty(shape, like, index)
    except (MemoryError, RuntimeError) as error:
        if isinstance(error, RuntimeError) and "alloc" not in str(error):
            raise
        raise MemoryError(f"{fn}: cannot allocate {name} of shape {tuple(shape)} {layout}") from None


def numpy_empty(shape, like, index):
    """The numpy level's outputs: like's dtype (int64 for an index output)."""
    if not isinstance(like, np.ndarray):
        raise TypeError(f"the numpy level takes numpy.ndarray arguments (vidtemporal.torch takes tensors), "
                        f"got {type(like).__name__}")
    dtype = np.int64 if index else like.dtype
    if tuple(shape) == like.shape and _channels_last(like):
        # An output shaped like a channels_last input keeps its memory format.
        n, c, h, w = shape
        return np.empty((n, h, w, c), dtype).transpose(0, 3, 1, 2)
    return np.empty(shape, dtype)


def _channels_last(array):
    return array.ndim == 4 and not array.flags.c_contiguous and array.transpose(0, 2, 3, 1).flags.c_contiguous


numpy_empty.takes = "a numpy.ndarray of float32, float64 or float16"
numpy_empty.kind = np.ndarray


def checked(fn, entry, *args, names=None):
    """entry(*args), its errors naming the public function `fn` (and its argument names)."""
    try:
        return entry(*args)
    except ERRORS as error:
        raise renamed(error, fn, names) from None


def renamed(error, fn, names=None):
    """The same exception with its message naming the Python function `fn` instead of the C
    function or the extension's entry point, and `names` mapping table names to the public
    function's argument names."""
    text = str(error)
    head, sep, rest = text.partition(": ")
    if sep and re.fullmatch(r"[a-z_]+", head):
        text = rest
    for name, public in (names or {}).items():
        text = re.sub(rf"\b{name}\b", public, text)
    return type(error)(f"{fn}: {text}")
