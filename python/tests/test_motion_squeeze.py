"""The fused Motion Squeeze op: equal to the composition of the separate ops (normalise,
correlate t/t+1, ReLU, soft-argmax, repeat the last map), forward and backward, in numpy and
torch; recovers a known motion; bad input."""
import numpy as np
import pytest

import vidtemporal as vt
from tolerances import tolerance


def composed(x, t, p, sigma, temperature, normalize):
    nt, c, h, w = x.shape
    if normalize:
        x = x / np.sqrt((x * x).sum(1, keepdims=True) + 1e-6)
    frames = x.reshape(nt // t, t, c, h, w)
    out = np.zeros((nt // t, t, 3, h, w), x.dtype)
    for s in range(t - 1):
        corr = np.maximum(vt.correlation(np.ascontiguousarray(frames[:, s]), np.ascontiguousarray(frames[:, s + 1]), p),
                          0)
        displacement, confidence = vt.kernel_soft_argmax(corr, sigma, temperature)
        out[:, s] = np.concatenate([displacement, confidence], 1)
    if t > 1:
        out[:, t - 1] = out[:, t - 2]
    return out.reshape(nt, 3, h, w)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalize", [True, False])
def test_fused_equals_composition(normalize, dtype):
    rng = np.random.default_rng(0)
    rtol, atol = tolerance("kernel_soft_argmax", dtype)
    # (frames 8 or more pixels wide take float32's tiled correlation and 8-lane soft-argmax)
    for n, t, c, h, w, p in [(2, 4, 5, 6, 7, 5), (1, 1, 3, 4, 4, 3), (1, 2, 8, 5, 3, 7), (1, 3, 6, 7, 11, 5)]:
        x = rng.standard_normal((n * t, c, h, w)).astype(dtype)
        np.testing.assert_allclose(vt.motion_squeeze(x, t, p, 2.0, 10.0, normalize),
                                   composed(x, t, p, 2.0, 10.0, normalize), rtol=rtol, atol=atol)


def test_moving_pattern_gives_its_motion():
    rng = np.random.default_rng(1)
    t, c, h, w = 4, 8, 16, 16
    first = rng.standard_normal((c, h, w)).astype(np.float32)
    # frame s shows the pattern moved by (+2, -1) cells per frame (x right, y up)
    clip = np.stack([np.roll(first, (-s, 2 * s), (1, 2)) for s in range(t)])
    out = vt.motion_squeeze(clip, t)
    interior = out[:, :, 1:, :-2]
    np.testing.assert_allclose(interior[:, 0], 2 / 7, atol=1e-4)
    np.testing.assert_allclose(interior[:, 1], -1 / 7, atol=1e-4)


def test_bad_input():
    x = np.ones((6, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"x.shape\[0\]=6 \(N\*T\) is not a multiple of num_segments=4"):
        vt.motion_squeeze(x, 4)
    with pytest.raises(ValueError, match="must be odd"):
        vt.motion_squeeze(x, 3, patch_size=4)
    with pytest.raises(ValueError, match=r"motion_squeeze_backward: grad.shape\[1\]=2 must be 3 \(N\*T, 3, H, W\)"):
        vt.motion_squeeze_backward(np.ones((6, 2, 3, 3), np.float32), x, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_do_not_depend_on_thread_count(dtype):
    # Pairs run in parallel when there are enough of them; a single pair splits its rows instead.
    rng = np.random.default_rng(7)
    for n, t in [(3, 4), (1, 2), (2, 1)]:
        x = rng.standard_normal((n * t, 16, 12, 10)).astype(dtype)
        grad = rng.standard_normal((n * t, 3, 12, 10)).astype(dtype)
        results = []
        try:
            for threads in (1, 2, 3):
                vt.set_num_threads(threads)
                results.append((vt.motion_squeeze(x, t, 5, 2.0, 10.0), vt.motion_squeeze_backward(grad, x, t, 5, 2.0, 10.0)))
        finally:
            vt.set_num_threads(0)
        for forward, backward in results[1:]:
            np.testing.assert_array_equal(forward, results[0][0])
            np.testing.assert_array_equal(backward, results[0][1])
