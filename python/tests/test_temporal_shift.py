"""Temporal shift at the numpy level (no torch): exact equality with the slicing reference over
sweeps, the adjoint identity, a hand-computed case, in-place and streaming equivalences."""
import itertools

import numpy as np
import pytest

import vidtemporal as vt
import reference
from tolerances import tolerance

DTYPES = [np.float32, np.float64]
MODES = ["bidirectional", "unidirectional"]


def sweep():
    """(N, T, C, H, W, fold_div): T = 1, C < fold_div, C not divisible, empty dims."""
    clips = [(1, 1), (2, 1), (1, 2), (3, 5), (2, 8), (0, 4)]
    channels = [0, 1, 3, 7, 8, 17, 64]
    planes = [(1, 1), (3, 5), (0, 2)]
    for (n, t), c, (h, w), fold_div in itertools.product(clips, channels, planes, [1, 2, 3, 8]):
        yield n, t, c, h, w, fold_div


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_forward_and_backward_equal_slicing_reference(dtype, mode):
    rng = np.random.default_rng(0)
    for n, t, c, h, w, fold_div in sweep():
        x = rng.standard_normal((n * t, c, h, w)).astype(dtype)
        label = f"N={n} T={t} C={c} H={h} W={w} fold_div={fold_div} mode={mode} {np.dtype(dtype).name}"
        y = vt.temporal_shift(x, t, fold_div, mode)
        assert y.shape == x.shape and y.dtype == x.dtype, label
        np.testing.assert_array_equal(y, reference.temporal_shift(x, t, fold_div, mode), err_msg=label)
        g = vt.temporal_shift_backward(x, x, t, fold_div, mode)
        np.testing.assert_array_equal(g, reference.temporal_shift_backward(x, t, fold_div, mode), err_msg=label)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_adjoint_identity(dtype, mode):
    rng = np.random.default_rng(1)
    rtol, atol = tolerance("adjoint", dtype)
    for n, t, c, h, w, fold_div in [(2, 8, 64, 5, 7, 8), (1, 3, 17, 2, 2, 3), (3, 1, 9, 4, 1, 2)]:
        x = rng.standard_normal((n * t, c, h, w)).astype(dtype)
        y = rng.standard_normal(x.shape).astype(dtype)
        lhs = np.vdot(vt.temporal_shift(x, t, fold_div, mode), y)
        rhs = np.vdot(x, vt.temporal_shift_backward(y, x, t, fold_div, mode))
        np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol)


def test_hand_computed_case():
    # N=1, T=3, C=4, fold_div=4 -> fold=1: channel 0 from t+1, channel 1 from t-1, 2-3 copied.
    x = (10 * np.arange(3)[:, None] + np.arange(4)[None, :]).astype(np.float32).reshape(3, 4, 1, 1)
    expected = np.array([[10, 0, 2, 3], [20, 1, 12, 13], [0, 11, 22, 23]], np.float32).reshape(3, 4, 1, 1)
    np.testing.assert_array_equal(vt.temporal_shift(x, 3, 4), expected)
    online = np.array([[0, 1, 2, 3], [0, 11, 12, 13], [10, 21, 22, 23]], np.float32).reshape(3, 4, 1, 1)
    np.testing.assert_array_equal(vt.temporal_shift(x, 3, 4, "unidirectional"), online)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_inplace_is_bit_identical(dtype, mode):
    rng = np.random.default_rng(2)
    for n, t, c, h, w, fold_div in sweep():
        x = rng.standard_normal((n * t, c, h, w)).astype(dtype)
        expected = vt.temporal_shift(x, t, fold_div, mode)
        data = x.copy()
        assert vt.temporal_shift_(data, t, fold_div, mode) is data
        # Compare bits: -0.0 == 0.0 would hide a sign difference.
        bits = np.uint32 if dtype == np.float32 else np.uint64
        np.testing.assert_array_equal(data.view(bits), expected.view(bits))


@pytest.mark.parametrize("dtype", DTYPES)
def test_stream_over_clip_equals_unidirectional(dtype):
    rng = np.random.default_rng(3)
    n, t, c, h, w = 2, 6, 16, 5, 3
    clip = rng.standard_normal((n * t, c, h, w)).astype(dtype)
    expected = vt.temporal_shift(clip, t, 4, "unidirectional").reshape(n, t, c, h, w)
    frames = clip.reshape(n, t, c, h, w)
    stream = vt.TemporalShiftStream(fold_div=4)
    buffer = np.empty((n, c, h, w), dtype)
    for reuse in [False, True]:  # the second pass checks reset() and a caller-owned output
        for i in range(t):
            out = stream.step(np.ascontiguousarray(frames[:, i]), out=buffer if reuse else None)
            assert out.dtype == dtype and (out is buffer) == reuse
            np.testing.assert_array_equal(out, expected[:, i], err_msg=f"frame {i}")
        stream.reset()


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(4)
    # Large enough that the kernels split the work across threads (small jobs run inline).
    x = rng.standard_normal((24, 64, 16, 16)).astype(np.float32)
    results = []
    try:
        for threads in [1, 2, 5]:
            vt.set_num_threads(threads)
            assert vt.get_num_threads() == threads
            data = x.copy()
            results.append((vt.temporal_shift(x, 8), vt.temporal_shift_backward(x, x, 8), vt.temporal_shift_(data, 8)))
    finally:
        vt.set_num_threads(0)
    for result in results[1:]:
        for got, want in zip(result, results[0]):
            np.testing.assert_array_equal(got, want)


def test_version_and_threads():
    assert vt.__version__.count(".") == 2
    assert vt.get_num_threads() >= 1
