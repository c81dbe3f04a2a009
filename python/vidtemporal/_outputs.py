"""Outputs for the generated glue (``_glue``, one function per tensor function of the C ABI): the
checks that sizing them needs, and their allocation by the layer's ``Allocator`` (numpy's here,
torch's in ``vidtemporal.torch._custom_ops``). The library checks every tensor of a call itself."""
import math

import numpy as np

from ._errors import error

# The largest element count of a tensor the library accepts (its bytes must fit an int64).
_MAX_ELEMENTS = (2 ** 63 - 1) // 8


class Allocator:
    """How a layer makes the outputs the glue sizes: ``empty(shape, like, index)`` (an output of
    like's dtype and memory format, int64 for an index output), for arrays of ``kind``, which
    messages describe as ``takes``."""

    def __init__(self, kind, takes, empty):
        self.kind, self.takes, self.empty = kind, takes, empty

    def __call__(self, shape, like, index):
        return self.empty(shape, like, index)


def dims(fn, allocator, tensor, rank, name, layout):
    """The shape of an input whose dims size an output: it must be an array of the layer
    (`allocator.kind`) of `rank` dims (any number for rank -1)."""
    if not isinstance(tensor, allocator.kind):
        raise error(TypeError, fn, name, f"{name} must be {allocator.takes}, got {type(tensor).__name__}")
    shape = tensor.shape
    if rank >= 0 and len(shape) != rank:
        raise error(ValueError, fn, name, f"{name} must have {rank} dims {layout}, got shape {tuple(shape)}")
    return shape


def allocate(fn, allocator, name, shape, layout, like, index):
    """allocator(shape, like, index) for the output `name` of the public function `fn`: a shape
    whose size exceeds what the library takes is refused before anything is allocated (symbolic
    sizes of fake tensors pass), and an allocation that fails is a MemoryError naming the output."""
    size = math.prod(shape)
    if type(size) is int and size > _MAX_ELEMENTS:
        raise error(ValueError, fn, name, f"the arguments make {name} of shape {tuple(shape)} {layout}, which "
                                          f"overflows the address space")
    try:
        return allocator(shape, like, index)
    except (MemoryError, RuntimeError) as failure:
        if isinstance(failure, RuntimeError) and "alloc" not in str(failure):
            raise
        raise error(MemoryError, fn, name, f"cannot allocate {name} of shape {tuple(shape)} {layout}") from None


def _numpy_empty(shape, like, index):
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


# The numpy level's outputs: like's dtype (int64 for an index output) and memory format.
NUMPY = Allocator(np.ndarray, "a numpy.ndarray of float32, float64 or float16", _numpy_empty)
