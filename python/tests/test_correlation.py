"""Correlation at the numpy level against the displacement loop: P = 1, P larger than the image,
dilation 2, non-square images, both dtypes; the bilinear adjoint identities; bad input."""
import numpy as np
import pytest

import vidtemporal as vt
import reference
from tolerances import tolerance

# Rows of 8 or more take float32's register tiles: one 8-column block, an overlapping last
# block, P larger than the image, dilation 3, channels not a multiple of 4.
CASES = [(2, 3, 4, 5, 1, 1), (1, 8, 6, 6, 3, 2), (2, 2, 2, 3, 7, 1), (1, 16, 9, 5, 5, 1), (1, 4, 7, 7, 15, 1),
         (2, 5, 7, 11, 5, 1), (1, 6, 8, 8, 3, 2), (1, 3, 5, 19, 25, 1), (1, 9, 10, 9, 7, 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_equal_displacement_loop(dtype):
    rng = np.random.default_rng(0)
    rtol, atol = tolerance("gemm", dtype)
    for b, c, h, w, p, dil in CASES:
        f1, f2 = (rng.standard_normal((b, c, h, w)).astype(dtype) for _ in range(2))
        got = vt.correlation(f1, f2, p, dil)
        assert got.shape == (b, p, p, h, w) and got.dtype == dtype
        np.testing.assert_allclose(got, reference.correlation(f1, f2, p, dil), rtol=rtol, atol=atol,
                                   err_msg=f"B={b} C={c} H={h} W={w} P={p} dilation={dil}")


def test_bilinear_adjoints():
    rng = np.random.default_rng(1)
    rtol, atol = tolerance("adjoint", np.float64)
    for b, c, h, w, p, dil in CASES:
        f1, f2 = (rng.standard_normal((b, c, h, w)) for _ in range(2))
        g = rng.standard_normal((b, p, p, h, w))
        value = np.vdot(vt.correlation(f1, f2, p, dil), g)
        g1, g2 = vt.correlation_backward(g, f1, f2, p, dil)
        np.testing.assert_allclose(np.vdot(f1, g1), value, rtol=rtol, atol=atol)
        np.testing.assert_allclose(np.vdot(f2, g2), value, rtol=rtol, atol=atol)


def test_bad_input():
    f = np.ones((1, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="patch_size=4 must be odd"):
        vt.correlation(f, f, 4)
    with pytest.raises(ValueError, match=r"correlation: f2.shape\[3\]=4 does not match f1.shape\[3\]=3 \(W\)"):
        vt.correlation(f, np.ones((1, 2, 3, 4), np.float32), 3)
    with pytest.raises(TypeError, match="f2 is float64 but f1 is float32"):
        vt.correlation(f, f.astype(np.float64), 3)
    with pytest.raises(ValueError, match="dilation_patch=0 must be >= 1"):
        vt.correlation(f, f, 3, 0)
