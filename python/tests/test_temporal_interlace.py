"""Temporal interlace at the numpy level: values against the slicing reference over offsets
that are fractional, integer, negative and beyond the clip; the adjoint in x; a hand-computed
case; the true adjoint where mmcv's kernel is mirrored; bad input."""
import itertools

import numpy as np
import pytest

import vidtemporal as vt
import reference
from tolerances import tolerance

DTYPES = [np.float32, np.float64]
LAYOUTS = [  # (C, shift_div, G): parts of 1..4 channels, G = 1, 2, 3, no copied channels
    (16, 4, 2), (24, 2, 3), (8, 1, 1), (10, 5, 1), (12, 1, 3), (64, 4, 2),
]
OFFSETS = {
    "fractional": lambda rng, shape: rng.uniform(-2, 2, shape),
    "integer": lambda rng, shape: rng.integers(-2, 3, shape).astype(float),
    "negative": lambda rng, shape: -rng.uniform(0, 2, shape),
    "beyond the clip": lambda rng, shape: rng.choice([-1, 1], shape) * rng.uniform(8, 50, shape),
}


def problem(rng, n, t, c, h, w, groups, kind, dtype):
    x = rng.standard_normal((n * t, c, h, w)).astype(dtype)
    offsets = OFFSETS[kind](rng, (n, groups)).astype(dtype)
    weights = rng.uniform(0.1, 2, (n, t, groups)).astype(dtype)
    return x, offsets, weights


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(OFFSETS))
def test_values_equal_slicing_reference(dtype, kind):
    rng = np.random.default_rng(0)
    rtol, atol = tolerance("temporal_interlace", dtype)
    for (n, t), (c, shift_div, groups), (h, w) in itertools.product([(1, 1), (2, 3), (1, 8)], LAYOUTS, [(1, 1), (3, 2)]):
        x, offsets, weights = problem(rng, n, t, c, h, w, groups, kind, dtype)
        label = f"N={n} T={t} C={c} shift_div={shift_div} G={groups} {kind} {np.dtype(dtype).name}"
        y = vt.temporal_interlace(x, offsets, weights, t, shift_div)
        assert y.shape == x.shape and y.dtype == x.dtype, label
        np.testing.assert_allclose(y, reference.temporal_interlace(x, offsets, weights, t, shift_div),
                                   rtol=rtol, atol=atol, err_msg=label)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adjoint_identity_in_x(dtype):
    rng = np.random.default_rng(1)
    rtol, atol = tolerance("adjoint", dtype)
    for kind in OFFSETS:
        x, offsets, weights = problem(rng, 2, 8, 64, 3, 3, 2, kind, dtype)
        g = rng.standard_normal(x.shape).astype(dtype)
        grad_x, grad_offsets, grad_weights = vt.temporal_interlace_backward(g, x, offsets, weights, 8)
        assert (grad_x.shape, grad_offsets.shape, grad_weights.shape) == (x.shape, offsets.shape, weights.shape)
        assert grad_x.dtype == grad_offsets.dtype == grad_weights.dtype == dtype
        lhs = np.vdot(vt.temporal_interlace(x, offsets, weights, 8).astype(np.float64), g)
        rhs = np.vdot(x.astype(np.float64), grad_x)
        np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol, err_msg=kind)


def test_hand_computed_case():
    # T=4, C=4, shift_div=1, G=2: one channel per part; offsets (0.5, 1) shift the parts by
    # 0.5, 1, -0.5, -1; x[t, c] = 10 t + c; weights 1 for group 0 and 2 for group 1.
    x = (10 * np.arange(4)[:, None] + np.arange(4)[None, :]).astype(np.float64).reshape(4, 4, 1, 1)
    offsets = np.array([[0.5, 1.0]])
    weights = np.tile([1.0, 2.0], (1, 4, 1))
    expected = np.array([[0, 5, 15, 25], [0, 2, 22, 42], [7, 17, 27, 16], [26, 46, 66, 0]], float).T
    np.testing.assert_array_equal(vt.temporal_interlace(x, offsets, weights, 4, shift_div=1)[:, :, 0, 0], expected)


def test_gradient_is_the_true_adjoint_not_mmcvs_mirror():
    """mmcv's tin_shift CUDA backward applies the forward index map to the gradient, which mirrors
    it in time whenever the shift is not zero. The correct adjoint of a +1 shift (y[t] = x[t-1])
    moves the gradient one frame back: [1, 1, 1, 0] for a gradient of ones on T = 4; mmcv's kernel
    would give [0, 1, 1, 1]."""
    x = np.zeros((4, 2, 1, 1))
    offsets = np.array([[1.0]])        # G = 1: part 0 shifts by +1, part 1 (reversed) by -1
    weights = np.ones((1, 4, 1))
    grad_x, _, _ = vt.temporal_interlace_backward(np.ones_like(x), x, offsets, weights, 4, shift_div=1)
    np.testing.assert_array_equal(grad_x[:, 0, 0, 0], [1, 1, 1, 0])
    np.testing.assert_array_equal(grad_x[:, 1, 0, 0], [0, 1, 1, 1])


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(4)
    x, offsets, weights = problem(rng, 3, 8, 64, 14, 14, 2, "fractional", np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    results = []
    try:
        for threads in [1, 2, 3]:
            vt.set_num_threads(threads)
            results.append((vt.temporal_interlace(x, offsets, weights, 8),
                            *vt.temporal_interlace_backward(g, x, offsets, weights, 8)))
    finally:
        vt.set_num_threads(0)
    for result in results[1:]:
        for got, want in zip(result, results[0]):
            np.testing.assert_array_equal(got, want)


# ---- bad input ----

def arrays(dtype=np.float32, n=2, t=4, c=16, groups=2):
    return (np.ones((n * t, c, 2, 2), dtype), np.full((n, groups), 0.5, dtype), np.ones((n, t, groups), dtype))


def test_interlaced_channels_must_split_into_parts():
    x, offsets, weights = arrays(c=8)   # F = 8 // 4 = 2, 2G = 4
    with pytest.raises(ValueError, match=r"F = c / shift_div = 8 / 4 = 2 interlaced channels do not split into "
                                         r"2 \* groups = 4"):
        vt.temporal_interlace(x, offsets, weights, 4)


def test_parameter_shapes_and_dtypes():
    x, offsets, weights = arrays()
    with pytest.raises(ValueError, match=r"temporal_interlace: offsets.shape\[0\]=3 does not match x.shape\[0\]/num_segments=2 \(N\)"):
        vt.temporal_interlace(x, np.zeros((3, 2), np.float32), weights, 4)
    with pytest.raises(ValueError, match=r"weights.shape\[2\]=1 does not match offsets.shape\[1\]=2 \(G\)"):
        vt.temporal_interlace(x, offsets, weights[:, :, :1].copy(), 4)
    with pytest.raises(ValueError, match=r"offsets must have 2 dims \(N, G\), got shape \(2,\)"):
        vt.temporal_interlace(x, offsets[:, 0].copy(), weights, 4)
    with pytest.raises(TypeError, match="offsets is float64 but x is float32"):
        vt.temporal_interlace(x, offsets.astype(np.float64), weights, 4)
    with pytest.raises(TypeError, match="weights is float64 but grad is float32"):
        vt.temporal_interlace_backward(x, x, offsets, weights.astype(np.float64), 4)
    with pytest.raises(TypeError, match="offsets must be float32, float64, float16 or bfloat16"):
        vt.temporal_interlace(x, offsets.astype(np.int64), weights, 4)
    with pytest.raises(ValueError, match="offsets must be C-contiguous"):
        vt.temporal_interlace(x, np.asfortranarray(np.zeros((2, 3), np.float32))[:, :2], weights, 4)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_offsets(bad):
    x, offsets, weights = arrays(np.float64)
    offsets[1, 0] = bad
    with pytest.raises(ValueError, match=r"offsets\[1, 0\] = .* is not finite"):
        vt.temporal_interlace(x, offsets, weights, 4)
    with pytest.raises(ValueError, match="is not finite"):
        vt.temporal_interlace_backward(x, x, offsets, weights, 4)


def test_groups_keyword_must_match_the_offsets():
    x, offsets, weights = arrays()
    np.testing.assert_array_equal(vt.temporal_interlace(x, offsets, weights, 4, groups=2),
                                  vt.temporal_interlace(x, offsets, weights, 4))
    with pytest.raises(ValueError, match=r"groups=3 but offsets has shape \(2, 2\)"):
        vt.temporal_interlace(x, offsets, weights, 4, groups=3)
    with pytest.raises(ValueError, match=r"temporal_interlace_backward: groups=1 but offsets"):
        vt.temporal_interlace_backward(x, x, offsets, weights, 4, groups=1)


def test_foundation_checks():
    x, offsets, weights = arrays()
    with pytest.raises(ValueError, match=r"x.shape\[0\]=8 \(N\*T\) is not a multiple of num_segments=3"):
        vt.temporal_interlace(x, offsets, weights, 3)
    with pytest.raises(ValueError, match="shift_div=0 must be >= 1"):
        vt.temporal_interlace(x, offsets, weights, 4, shift_div=0)
    with pytest.raises(ValueError, match=r"must have 4 dims \(N\*T, C, H, W\)"):
        vt.temporal_interlace(x[0], offsets, weights, 4)
    with pytest.raises(TypeError, match="x must be float32, float64, float16 or bfloat16"):
        vt.temporal_interlace(x.astype(np.int32), offsets, weights, 4)
    with pytest.raises(ValueError, match=r"x.shape\[0\]=8 does not match N\*T=4 \(grad.shape\[0\]/num_segments=1, num_segments=4\)"):
        vt.temporal_interlace_backward(x[:4], x, offsets, weights, 4)
    with pytest.raises(TypeError, match="x must be a numpy.ndarray"):
        vt.temporal_interlace(x.tolist(), offsets, weights, 4)
