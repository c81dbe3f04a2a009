"""Python-side checks of the public functions' own arguments (scalars, choices, the keywords the
C ABI does not take), so their errors name the function and argument. Tensors are checked in
full by the library."""
import operator

import numpy as np


def array(value, name, fn):
    """An ndarray argument (the numpy level takes and returns numpy arrays)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy.ndarray of float32 or float64, got {type(value).__name__}")
    return value


def same_layout(value, name, reference, reference_name, fn):
    """Raises unless value has reference's shape and dtype (an input only used for its shape)."""
    array(value, name, fn)
    if value.dtype != reference.dtype:
        raise TypeError(f"{fn}: {name} is {value.dtype} but {reference_name} is {reference.dtype}; "
                        f"all arrays must share one dtype")
    if value.shape != reference.shape:
        raise ValueError(f"{fn}: {name} must have the shape of {reference_name} {reference.shape}, got {value.shape}")


def integer(value, name, fn):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}") from None


def choice(value, name, fn, choices):
    if value not in choices:
        raise ValueError(f"{fn}: {name} must be one of {sorted(choices)}, got {value!r}")
    return choices[value]


def dims(value, name, fn, ndim, layout):
    """The shape of an ndarray argument of `ndim` dims, checked before outputs are sized from it
    (the extension repeats the check with the same message)."""
    array(value, name, fn)
    if value.ndim != ndim:
        raise ValueError(f"{fn}: {name} must have {ndim} dims {layout}, got shape {value.shape}")
    return value.shape


def groups_match(groups, offsets_shape, fn):
    """An explicit ``groups`` must equal G = offsets.shape[1] (the offsets define the groups)."""
    if groups is not None and (len(offsets_shape) != 2 or integer(groups, "groups", fn) != offsets_shape[1]):
        raise ValueError(f"{fn}: groups={groups} but offsets has shape {tuple(offsets_shape)}; expected (N, G) "
                         f"with G = groups")
