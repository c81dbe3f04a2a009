"""Kernel soft-argmax at the numpy level: against the reference, exact one-hot peaks, ties, the
gradient against central differences, bad input."""
import numpy as np
import pytest

import vidtemporal as vt
import reference
from tolerances import tolerance


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_equal_reference(dtype):
    rng = np.random.default_rng(0)
    # Rows of 8 or more pixels take float32's 8-lane blocks: one block, and a last block that
    # overlaps the one before; P = 1 there too.
    for b, p, h, w, sigma, temperature in [(2, 15, 3, 4, 5.0, 100.0), (1, 3, 2, 2, 0.8, 10.0), (1, 1, 2, 3, 5.0, 100.0),
                                           (2, 15, 3, 11, 5.0, 100.0), (1, 5, 2, 8, 1.5, 20.0), (1, 1, 2, 9, 5.0, 100.0)]:
        corr = (rng.standard_normal((b, p, p, h, w)) * 0.1).astype(dtype)
        got = vt.kernel_soft_argmax(corr, sigma, temperature)
        want = reference.kernel_soft_argmax(corr.astype(np.float64), sigma, temperature)
        rtol, atol = tolerance("kernel_soft_argmax", dtype)
        for g, x in zip(got, want):
            assert g.dtype == dtype
            np.testing.assert_allclose(g, x, rtol=rtol, atol=atol)
    # Ties take the first index, in 8-lane blocks too: equal scores everywhere, and pairs of equal peaks.
    corr = np.zeros((1, 5, 5, 2, 9), dtype)
    corr[0, 1, 3, 1, :], corr[0, 3, 1, 1, :] = 0.5, 0.5
    got = vt.kernel_soft_argmax(corr, 1.0, 10.0)
    want = reference.kernel_soft_argmax(corr.astype(np.float64), 1.0, 10.0)
    for g, x in zip(got, want):
        np.testing.assert_allclose(g, x, rtol=rtol, atol=atol)


def test_one_hot_peaks_give_their_displacement():
    p = 15
    corr = np.zeros((1, p, p, 2, 1))
    corr[0, 7 + 2, 7 + 4, 0, 0] = 1      # dy = +2 cells, dx = +4
    corr[0, 7 - 1, 7 - 7, 1, 0] = 1      # dy = -1, dx = -7
    displacement, confidence = vt.kernel_soft_argmax(corr)
    np.testing.assert_allclose(displacement[0, :, 0, 0], [4 / 7, 2 / 7], atol=1e-12)
    np.testing.assert_allclose(displacement[0, :, 1, 0], [-1, -1 / 7], atol=1e-12)
    np.testing.assert_array_equal(confidence[0, 0, :, 0], [1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_or_infinite_scores_give_nan_only_at_their_pixel(dtype):
    corr = np.zeros((1, 3, 3, 1, 3), dtype=dtype)
    corr[0, 1, 1, 0, 2] = 1
    corr[0, 0, 0, 0, 0] = np.nan
    corr[0, 2, 2, 0, 1] = np.inf
    displacement, confidence = vt.kernel_soft_argmax(corr, 1.0, 10.0)
    assert np.isnan(displacement[0, :, 0, :2]).all() and np.isnan(confidence[0, 0, 0, :2]).all()
    np.testing.assert_allclose(displacement[0, :, 0, 2], [0, 0], atol=1e-6)   # a finite neighbour is untouched
    assert confidence[0, 0, 0, 2] == 1
    # The same in a row wide enough for 8-lane blocks: only the bad pixels are NaN.
    wide = np.zeros((1, 3, 3, 1, 10), dtype=dtype)
    wide[0, 1, 1, 0, :] = 1
    wide[0, 0, 0, 0, 0], wide[0, 2, 2, 0, 9] = np.nan, -np.inf
    displacement, confidence = vt.kernel_soft_argmax(wide, 1.0, 10.0)
    bad = np.zeros(10, bool)
    bad[[0, 9]] = True
    assert np.isnan(displacement[0, :, 0, bad]).all() and np.isnan(confidence[0, 0, 0, bad]).all()
    np.testing.assert_allclose(displacement[0, :, 0, ~bad], 0, atol=1e-6)
    np.testing.assert_array_equal(confidence[0, 0, 0, ~bad], 1)


def test_tiny_sigma_keeps_only_the_peak():
    # sigma**2 underflows to zero in float64; the kernel must still be the limit: a one-hot
    # Gaussian at the peak, so the peak's logit is the temperature and every other logit is 0.
    corr = np.zeros((1, 3, 3, 1, 1))
    corr[0, 0, 2, 0, 0], corr[0, 1, 1, 0, 0] = 1.0, 0.5
    displacement, confidence = vt.kernel_soft_argmax(corr, 1e-170, 10.0)
    assert np.isfinite(displacement).all()
    u = (np.exp(10.0) - 1) / (np.exp(10.0) + 8)     # three cells at dx = +1 (the peak's column), three at -1
    np.testing.assert_allclose(displacement[0, :, 0, 0], [u, -u], rtol=1e-12)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    corr = rng.standard_normal((1, 5, 5, 2, 2)) * 0.05
    gd, gc = rng.standard_normal((1, 2, 2, 2)), rng.standard_normal((1, 1, 2, 2))
    grad = vt.kernel_soft_argmax_backward(gd, gc, corr, 1.5, 20.0)

    def loss(c):
        d, conf = vt.kernel_soft_argmax(c, 1.5, 20.0)
        return np.vdot(d, gd) + np.vdot(conf, gc)
    for index in [(0, 0, 0, 0, 0), (0, 2, 3, 1, 0), (0, 4, 4, 1, 1), (0, 1, 2, 0, 1)]:
        plus, minus = corr.copy(), corr.copy()
        plus[index] += 1e-6
        minus[index] -= 1e-6
        numeric = (loss(plus) - loss(minus)) / 2e-6
        assert abs(grad[index] - numeric) < 1e-7 * max(1, abs(numeric)), (index, grad[index], numeric)


def test_bad_input():
    corr = np.zeros((1, 3, 3, 2, 2), np.float32)
    with pytest.raises(ValueError, match=r"corr.shape\[1\]=4 \(P\) must be odd"):
        vt.kernel_soft_argmax(np.zeros((1, 4, 4, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"corr.shape\[2\]=5 does not match corr.shape\[1\]=3 \(P\)"):
        vt.kernel_soft_argmax(np.zeros((1, 3, 5, 2, 2), np.float32))
    with pytest.raises(ValueError, match="sigma=-1.0 must be positive"):
        vt.kernel_soft_argmax(corr, sigma=-1)
    with pytest.raises(ValueError, match=r"corr must have 5 dims"):
        vt.kernel_soft_argmax(corr[0])
