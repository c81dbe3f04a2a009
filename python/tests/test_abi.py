"""The C ABI's conventions from Python, through the extension's entry points: DLPack tensors with
any device, dtype, strides, byte offset and read-only flag; and, for every function of the op
table, a shape mismatch between any two of its tensors (the message names both) and its optional
outputs (absent ones skipped, the others unchanged)."""
import re

import numpy as np
import pytest

import vidtemporal as vt
from vidtemporal import _C, _optable
from dlpack_exporter import READ_ONLY, Exporter, kDLBfloat, kDLCUDA, kDLFloat, kDLInt  # noqa: F401


def shift(x, y):
    _C.temporal_shift_forward(x, y, 2, 4, 0)


def clip():
    return np.arange(4 * 8 * 2 * 3, dtype=np.float32).reshape(4, 8, 2, 3) + 1


def test_a_tensor_on_another_device_is_unsupported():
    y = np.full((4, 8, 2, 3), -7, np.float32)
    with pytest.raises(vt.UnsupportedError, match=r"x is on kDLCUDA:1; vidtemporal reads CPU memory \(kDLCPU\) only"):
        shift(Exporter(clip(), device=(kDLCUDA, 1)), y)
    assert (y == -7).all()


@pytest.mark.parametrize("dtype, name", [((kDLInt, 32), "int32"), ((kDLFloat, 32, 4), "float32x4"),
                                         ((kDLBfloat, 32), "bfloat32"), ((kDLFloat, 8), "float8")])
def test_unsupported_dtypes_are_named(dtype, name):
    with pytest.raises(vt.UnsupportedError,
                       match=f"x must be float32, float64, float16 or bfloat16, got {name}"):
        shift(Exporter(clip(), dtype=dtype), np.empty((4, 8, 2, 3), np.float32))
    # UnsupportedError is a TypeError (a dtype) and a ValueError (a layout) alike.
    assert issubclass(vt.UnsupportedError, TypeError) and issubclass(vt.UnsupportedError, ValueError)


def test_strides_must_be_compact_except_on_unit_dims():
    x, want = clip(), vt.temporal_shift(clip(), 2, 4)
    for strides in [(48, 6, 3, 1), None]:
        y = np.empty_like(x)
        shift(Exporter(x, strides=strides), y)
        np.testing.assert_array_equal(y, want)
    unit = np.arange(48, dtype=np.float32).reshape(2, 8, 1, 3)
    out = np.empty_like(unit)
    _C.temporal_shift_forward(Exporter(unit, strides=(24, 3, 999, 1)), out, 1, 4, 0)
    np.testing.assert_array_equal(out, vt.temporal_shift(unit, 1, 4))
    with pytest.raises(vt.UnsupportedError, match=r"x must be C-contiguous \(compact row-major\) or channels_last, "
                                                   r"got strides \(1, 4, 32, 64\) for shape \(4, 8, 2, 3\)"):
        shift(Exporter(x, strides=(1, 4, 32, 64)), np.empty_like(x))


def test_byte_offset_is_honoured_and_must_be_aligned():
    x = clip()
    padded = np.concatenate([np.full(5, 1e30, np.float32), x.ravel()])
    y = np.empty_like(x)
    shift(Exporter(padded, shape=x.shape, byte_offset=5 * 4), y)
    np.testing.assert_array_equal(y, vt.temporal_shift(x, 2, 4))
    with pytest.raises(vt.UnsupportedError, match=r"not aligned to its 4-byte elements"):
        shift(Exporter(padded, shape=x.shape, byte_offset=2), y)


def test_read_only_outputs_are_refused_and_legacy_capsules_are_read():
    x = clip()
    with pytest.raises(ValueError, match="temporal_shift_forward: y must be a writable array .*read-only"):
        shift(x, Exporter(np.empty_like(x), read_only=True))
    read_only = x.copy()
    read_only.flags.writeable = False
    y = np.empty_like(x)
    shift(read_only, y)   # numpy's versioned capsule: a read-only input is fine
    shift(Exporter(x, read_only=True), y)
    legacy = np.empty_like(x)
    shift(Exporter(x, versioned=False), Exporter(legacy, versioned=False))
    np.testing.assert_array_equal(legacy, y)


def test_overlap_and_not_an_array():
    x = clip()
    with pytest.raises(ValueError, match="y overlaps x; they must be separate arrays"):
        shift(x, Exporter(x, shape=(4, 8, 2, 3), byte_offset=8))
    with pytest.raises(TypeError, match=r"temporal_shift_forward: x must be an array \(numpy.ndarray, torch.Tensor or "
                                        r"any DLPack exporter\), got list"):
        shift([1.0], x)
    with pytest.raises(TypeError, match="x must be an array .* got None"):
        shift(None, x)


# ---- every function of the op table ----------------------------------------------------------

SIZES = {"N": 2, "T": 3, "C": 8, "H": 2, "W": 3, "G": 2, "B": 2, "S": 5, "K": 3, "D": 4, "DK": 3, "DV": 2, "P": 3,
         "KH": 2, "KW": 1, "PH": 3, "PW": 2, "SH": 2, "SW": 1, "PADH": 1, "PADW": 0, "DILH": 1, "DILW": 1}
SCALARS = {"num_segments": 3, "fold_div": 2, "mode": 0, "shift_div": 2, "normalize": True, "patch_size": 3,
           "dilation_patch": 1, "sigma": 5.0, "temperature": 100.0, "length": 1,
           "kernel_h": 2, "kernel_w": 1, "patch_h": 3, "patch_w": 2, "stride_h": 2, "stride_w": 1, "padding_h": 1,
           "padding_w": 0, "dilation_h": 1, "dilation_w": 1, "dilation_patch_h": 1, "dilation_patch_w": 2}
FUNCTIONS = [f for f in _optable.FUNCTIONS.values() if not f.handle and not f.creates]


def sizes(function):
    values = dict(SIZES)
    for symbol, (entry, symbols) in function.derived.items():
        values[symbol] = getattr(_C, entry)(*(values[s] for s in symbols))
    return values


def shape_of(tensor, values):
    if tensor.dims is None:
        return (2, 3)
    return tuple(int(d) if d.isdigit() else int(np.prod([values[f] for f in d.split("*")])) for d in tensor.dims)


def arguments(function, change=None):
    """Valid arguments (zeros, every optional tensor present), with `change` = (tensor, shape)
    giving one tensor another shape."""
    values = sizes(function)
    tensors = []
    for t in function.tensors:
        shape = change[1] if change and change[0] == t.name else shape_of(t, values)
        tensors.append(np.zeros(shape, np.int64 if t.dtype == "int64" else np.float64))
    return tensors + [SCALARS[s.name] for s in function.scalars]


def related_dims(function):
    """(tensor, dim) pairs whose symbol another tensor or a scalar also fixes."""
    counts = {}
    for t in function.tensors:
        for dim in t.dims or ():
            for factor in dim.split("*"):
                counts[factor] = counts.get(factor, 0) + 1
    for s in function.scalars:
        if s.symbol:
            counts[s.symbol] = counts.get(s.symbol, 0) + 1
    for t in function.tensors:
        if t.dims is None:
            yield t, None
        for d, dim in enumerate(t.dims or ()):
            if dim.isdigit() or dim in function.derived or any(counts[f] > 1 for f in dim.split("*")):
                yield t, d


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_valid_arguments_run(function):
    getattr(_C, function.name)(*arguments(function))


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_a_shape_mismatch_between_two_tensors_names_both(function):
    names = [t.name for t in function.tensors] + [s.name for s in function.scalars]
    values = sizes(function)
    checked = 0
    for tensor, d in related_dims(function):
        shape = list(shape_of(tensor, values))
        if d is None:
            shape.append(1)
        else:
            shape[d] += 1
        args = arguments(function, (tensor.name, tuple(shape)))
        outputs = [a.copy() for a, t in zip(args, function.tensors) if t.role == "out"]
        with pytest.raises(ValueError) as raised:
            getattr(_C, function.name)(*args)
        text = str(raised.value)
        assert text.startswith(f"{function.name}: ") and raised.value.function == function.name, text
        # The argument at fault, as data: the changed tensor, or the other side of its relation.
        assert raised.value.argument in names, (raised.value.argument, text)
        # Both sides of the relation: two dims ("x.shape[1]"; two of one tensor for (G, G, T, T)), a
        # dim and a scalar, or two whole shapes.
        sides = set(re.findall(r"\b(\w+\.shape\[\d\])", text))
        sides |= {n for n in names if f"{n} has shape" in text or re.search(rf"\b{n}=", text)}
        sides |= set(re.findall(r"\b(vt_\w+)\(", text))   # a size another function derives
        assert any(side.split(".")[0] == tensor.name for side in sides), f"{tensor.name} changed, not named: {text}"
        digit = d is not None and tensor.dims[d].isdigit()
        assert digit or len(sides) >= 2, f"one side named: {text}"
        after = [a for a, t in zip(args, function.tensors) if t.role == "out"]
        assert all((a == b).all() for a, b in zip(after, outputs)), "an output was written"
        checked += 1
    assert checked > 0


OPTIONAL = [f for f in FUNCTIONS if any(t.optional and t.role == "out" for t in f.tensors)]


@pytest.mark.parametrize("function", OPTIONAL, ids=lambda f: f.name)
def test_absent_optional_outputs_are_skipped_and_the_others_unchanged(function):
    rng = np.random.default_rng(3)
    args = arguments(function)
    for i, t in enumerate(function.tensors):   # nonzero inputs, valid for every op
        if t.role != "out" and t.name not in ("mask", "p", "labels"):
            args[i] = rng.uniform(0.1, 0.9, args[i].shape)
        if t.name == "mask":
            args[i] = (rng.uniform(size=args[i].shape) > 0.4).astype(np.float64)
        if t.name in ("p", "labels"):
            args[i] = rng.uniform(0.05, 0.95, args[i].shape)
    outputs = [i for i, t in enumerate(function.tensors) if t.role == "out"]
    optional = [i for i in outputs if function.tensors[i].optional]
    getattr(_C, function.name)(*args)
    full = {i: args[i].copy() for i in outputs}
    for alone in optional:
        trial = list(args)
        for i in outputs:
            trial[i] = np.full_like(args[i], -7) if i == alone or not function.tensors[i].optional else None
        getattr(_C, function.name)(*trial)
        np.testing.assert_array_equal(trial[alone], full[alone], err_msg=function.tensors[alone].name)
