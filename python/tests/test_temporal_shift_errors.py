"""Bad input to temporal shift raises a clear exception naming the argument and the expected
shape, never crashes, and writes nothing."""
import numpy as np
import pytest

import vidtemporal as vt
from vidtemporal import _C


def clip(dtype=np.float32, shape=(8, 16, 4, 4)):
    return np.arange(np.prod(shape), dtype=dtype).reshape(shape)


def backward(grad, *args):
    return vt.temporal_shift_backward(grad, grad, *args)


FUNCTIONS = [vt.temporal_shift, backward, vt.temporal_shift_]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_wrong_dtype(fn):
    for dtype in [np.int32, np.int8, np.complex64]:
        with pytest.raises(TypeError, match="must be float32, float64, float16 or bfloat16"):
            fn(clip(dtype), 8)


def test_not_an_array():
    with pytest.raises(TypeError, match="temporal_shift: x must be a numpy.ndarray of float32, float64 or float16, got list"):
        vt.temporal_shift([[1.0]], 8)
    with pytest.raises(TypeError, match="temporal_shift_: x must be a numpy.ndarray of float32, float64 or float16, got list"):
        vt.temporal_shift_([[1.0]], 8)
    with pytest.raises(TypeError, match="temporal_shift_backward: grad must be a numpy.ndarray"):
        vt.temporal_shift_backward(None, clip(), 8)


def test_backward_x_must_match_grad():
    with pytest.raises(ValueError, match=r"temporal_shift_backward: x must have the shape of grad \(8, 16, 4, 4\)"):
        vt.temporal_shift_backward(clip(), clip(shape=(8, 16, 4, 5)), 8)
    with pytest.raises(TypeError, match="x is float64 but grad is float32"):
        vt.temporal_shift_backward(clip(), clip(np.float64), 8)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_wrong_ndim_names_the_layout(fn):
    with pytest.raises(ValueError, match=r"must have 4 dims \(N\*T, C, H, W\), got shape \(8, 16\)"):
        fn(clip(shape=(8, 16)), 8)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_non_contiguous(fn):
    x = clip(shape=(8, 16, 4, 8))[:, :, :, ::2]
    with pytest.raises(ValueError, match="must be C-contiguous"):
        fn(x, 8)
    with pytest.raises(ValueError, match="must be C-contiguous"):
        fn(np.asfortranarray(clip()), 8)


def test_nt_not_a_multiple_of_num_segments():
    with pytest.raises(ValueError, match=r"temporal_shift: x.shape\[0\]=10 \(N\*T\) is not a multiple of num_segments=8"):
        vt.temporal_shift(clip(shape=(10, 16, 1, 1)), 8)


@pytest.mark.parametrize("name, args", [("num_segments", (0, 8)), ("num_segments", (-4, 8)),
                                        ("fold_div", (8, 0)), ("fold_div", (8, -1))])
def test_non_positive_counts(name, args):
    x = clip()
    before = x.copy()
    with pytest.raises(ValueError, match=f"{name}={args[0] if name == 'num_segments' else args[1]} must be >= 1"):
        vt.temporal_shift_(x, *args)
    np.testing.assert_array_equal(x, before)


def test_bad_scalar_types_and_mode():
    with pytest.raises(TypeError, match="temporal_shift: num_segments must be an int, got float"):
        vt.temporal_shift(clip(), 8.0)
    with pytest.raises(ValueError, match="temporal_shift: mode must be one of"):
        vt.temporal_shift(clip(), 8, mode="forward")


def test_read_only_outputs_are_refused_and_untouched():
    x = clip()
    x.flags.writeable = False
    with pytest.raises(ValueError, match="temporal_shift_: x must be a writable array .*read-only"):
        vt.temporal_shift_(x, 8)
    out = np.zeros_like(x)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="temporal_shift_forward: y must be a writable array .*read-only"):
        _C.temporal_shift_forward(x, out, 8, 8, 0)
    assert not out.any()


def test_output_dtype_and_shape_must_match_input():
    x = clip()
    with pytest.raises(TypeError, match="y is float64 but x is float32"):
        _C.temporal_shift_forward(x, np.zeros(x.shape), 8, 8, 0)
    out = np.full((8, 16, 4, 5), 7, np.float32)
    with pytest.raises(ValueError, match=r"y.shape\[3\]=5 does not match x.shape\[3\]=4 \(W\)"):
        _C.temporal_shift_forward(x, out, 8, 8, 0)
    assert (out == 7).all()


def test_output_overlapping_input_is_refused():
    x = clip()
    before = x.copy()
    with pytest.raises(ValueError, match="y overlaps x; they must be separate arrays"):
        _C.temporal_shift_forward(x, x, 8, 8, 0)
    np.testing.assert_array_equal(x, before)


def test_stream_errors():
    with pytest.raises(ValueError, match="fold_div=0 must be >= 1"):
        vt.TemporalShiftStream(fold_div=0)
    stream = vt.TemporalShiftStream(fold_div=4)
    with pytest.raises(ValueError, match=r"frame must have 4 dims \(N, C, H, W\)"):
        stream.step(np.zeros((16, 4, 4), np.float32))
    stream.step(np.ones((2, 16, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"frame shape \[2, 16, 4, 5\] \(n, c, h, w\) differs from the stream's \[2, 16, 4, 4\]"):
        stream.step(np.ones((2, 16, 4, 5), np.float32))
    with pytest.raises(TypeError, match="the stream holds float32 frames, not float64"):
        stream.step(np.ones((2, 16, 4, 4), np.float64))
    with pytest.raises(ValueError, match=r"out.shape\[0\]=1 does not match frame.shape\[0\]=2 \(N\)"):
        stream.step(np.ones((2, 16, 4, 4), np.float32), out=np.zeros((1, 16, 4, 4), np.float32))
    # The failed steps left the cache alone: the next frame still sees the first one's channels.
    out = stream.step(np.zeros((2, 16, 4, 4), np.float32))
    assert (out[:, :4] == 1).all() and (out[:, 4:] == 0).all()


def test_set_num_threads_rejects_negative():
    with pytest.raises(ValueError, match=r"set_num_threads: n=-1 must be >= 1, or 0 for the default"):
        vt.set_num_threads(-1)
