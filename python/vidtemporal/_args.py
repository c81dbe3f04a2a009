"""Python-side checks of scalar arguments, so their errors name the function and argument."""
import operator


def integer(value, name, fn):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}") from None


def choice(value, name, fn, choices):
    if value not in choices:
        raise ValueError(f"{fn}: {name} must be one of {sorted(choices)}, got {value!r}")
    return choices[value]
