"""Python-side checks of the public functions' own arguments (scalars, choices, the keywords the
C ABI does not take), so their errors name the function and argument. Tensors are checked in
full by the library."""
import numbers
import operator

import numpy as np

from ._errors import error


def array(value, name, fn):
    """An ndarray argument (the numpy level takes and returns numpy arrays)."""
    if not isinstance(value, np.ndarray):
        raise error(TypeError, fn, name,
                    f"{name} must be a numpy.ndarray of float32, float64 or float16, got {type(value).__name__}")
    return value


def same_layout(value, name, reference, reference_name, fn):
    """Raises unless value has reference's shape and dtype (an input only used for its shape)."""
    array(value, name, fn)
    if value.dtype != reference.dtype:
        raise error(TypeError, fn, name, f"{name} is {value.dtype} but {reference_name} is {reference.dtype}; "
                                         f"all arrays must share one dtype")
    if value.shape != reference.shape:
        raise error(ValueError, fn, name,
                    f"{name} must have the shape of {reference_name} {reference.shape}, got {value.shape}")


INT64 = (-2 ** 63, 2 ** 63 - 1)
INT32 = (-2 ** 31, 2 ** 31 - 1)


def integer(value, name, fn, bounds=INT64):
    """An int argument (anything with __index__: numpy integers, bools), inside `bounds`."""
    try:
        value = operator.index(value)
    except TypeError:
        raise error(TypeError, fn, name, f"{name} must be an int, got {type(value).__name__}") from None
    low, high = bounds
    if not low <= value <= high:
        raise error(ValueError, fn, name, f"{name}={value} is outside [{low}, {high}]")
    return value


def positive(value, name, fn):
    """A size: an int >= 1."""
    value = integer(value, name, fn)
    if value < 1:
        raise error(ValueError, fn, name, f"{name}={value} must be >= 1")
    return value


def real(value, name, fn):
    """A float argument: a real number (int, float, or a numpy scalar of either), not a string,
    a complex number or an array."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise error(TypeError, fn, name, f"{name} must be a real number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:   # an int beyond a float's range
        raise error(ValueError, fn, name, f"{name} is an int too large for a float") from None


def flag(value, name, fn):
    """A bool argument: True or False (or a numpy bool, or the ints 0 and 1)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    got = repr(value) if isinstance(value, (int, np.integer)) else type(value).__name__
    raise error(TypeError, fn, name, f"{name} must be True or False, got {got}")


def choice(value, name, fn, choices):
    """One of the keys of `choices` (strings), as its value."""
    if not isinstance(value, str):
        raise error(TypeError, fn, name, f"{name} must be one of {sorted(choices)}, got {type(value).__name__}")
    if value not in choices:
        raise error(ValueError, fn, name, f"{name} must be one of {sorted(choices)}, got {value!r}")
    return choices[value]


def dims(value, name, fn, ndim, layout):
    """The shape of an ndarray argument of `ndim` dims, checked before outputs are sized from it
    (the library checks it again, with the same message)."""
    array(value, name, fn)
    if value.ndim != ndim:
        raise error(ValueError, fn, name, f"{name} must have {ndim} dims {layout}, got shape {value.shape}")
    return value.shape


def groups_match(groups, offsets_shape, fn):
    """An explicit ``groups`` must equal G = offsets.shape[1] (the offsets define the groups)."""
    if groups is not None and (len(offsets_shape) != 2 or integer(groups, "groups", fn) != offsets_shape[1]):
        raise error(ValueError, fn, "groups", f"groups={groups} but offsets has shape {tuple(offsets_shape)}; "
                                               f"expected (N, G) with G = groups")
