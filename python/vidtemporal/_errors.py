"""Errors as data. Every error vidtemporal raises for a call is a ValueError, TypeError,
MemoryError or RuntimeError (``UnsupportedError`` is both of the first two) carrying the parts of
what went wrong: ``function`` (the function the user called), ``argument`` (the argument at
fault, as that function names it; "" when none: an allocation, the call as a whole) and
``detail`` (what is wrong); its text is "function: detail". The library reports the argument
as data (``vt_error.argument``), the extension (``vtx_raise``) and the Python checks (``error``)
build the exception the same way, and the public function that the user called puts its own name on it, once, with
``for_function``."""

# What a call can raise; UnsupportedError is a TypeError and a ValueError.
ERRORS = (ValueError, TypeError, MemoryError, RuntimeError)


def error(kind, fn, argument, detail):
    """kind("fn: detail") with function, argument and detail as attributes."""
    exception = kind(f"{fn}: {detail}")
    exception.function, exception.argument, exception.detail = fn, argument, detail
    return exception


def ours(exception):
    """Whether an exception is one of vidtemporal's (made by `error` or by the extension), not
    another library's (torch's own RuntimeErrors, say)."""
    return isinstance(exception, ERRORS) and hasattr(exception, "detail") and hasattr(exception, "argument")


def for_function(exception, fn):
    """Our `exception` as the public function `fn` raises it: the same kind, argument and detail."""
    return error(type(exception), fn, exception.argument, exception.detail)


def checked(fn, entry, *args):
    """entry(*args), its errors raised for the public function `fn`."""
    try:
        return entry(*args)
    except ERRORS as exception:
        if not ours(exception):
            raise
        raise for_function(exception, fn) from None
