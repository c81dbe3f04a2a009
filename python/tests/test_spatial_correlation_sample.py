"""Spatial correlation sampling at the numpy level (spatial-correlation-sampler's whole argument
set) against the peer's loops (reference.py): every combination of a small argument grid, hand
computed cases, the peer's output size (truncating), half precision, threads, bad input."""
import itertools

import numpy as np
import pytest

import vidtemporal as vt
import reference
from tolerances import tolerance

PAIRS = ("kernel_size", "patch_size", "stride", "padding", "dilation", "dilation_patch")


def pairs(*arguments):
    return [a if isinstance(a, tuple) else (a, a) for a in arguments]


# kernel, patch (odd, even, rectangular), stride, padding, dilation, dilation_patch: 288 combinations.
GRID = list(itertools.product([1, 2, 3], [1, 2, 3, (2, 3)], [1, 2], [0, 1, (2, 0)], [1, 2], [1, 2]))


def test_every_combination_of_a_grid_equals_the_peers_loops():
    rng = np.random.default_rng(0)
    rtol, atol = tolerance("gemm", np.float64)
    f1, f2 = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((2, 3, 5, 6))
    for arguments in GRID:
        expected = reference.spatial_correlation_sample(f1, f2, *pairs(*arguments))
        got = vt.spatial_correlation_sample(f1, f2, *arguments)
        assert got.shape == expected.shape, arguments
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=str(arguments))
        grad = rng.standard_normal(got.shape)
        for got_grad, want in zip(vt.spatial_correlation_sample_backward(grad, f1, f2, *arguments),
                                  reference.spatial_correlation_sample_backward(grad, f1, f2, *pairs(*arguments))):
            np.testing.assert_allclose(got_grad, want, rtol=rtol, atol=atol, err_msg=str(arguments))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("arguments", [
    (3, 3, 2, 1, 2, 2),                  # the peer benchmark's defaults
    (1, 21, 1, 0, 1, 2),                 # FlowNet's: the correlation's own kernels
    (1, 4, 1, 0, 1, 1),                  # an even patch with kernel 1: this op's kernels
    ((3, 1), (5, 2), (1, 3), (2, 0), (1, 3), (3, -1)),
    (5, 3, 3, -1, 1, 0),                 # negative padding crops; dilation_patch 0 repeats one shift
    (2, 3, 1, 0, 1, 40),                 # displacements past the image: planes of 0
])
def test_wider_images_and_both_dtypes_equal_the_peers_loops(dtype, arguments):
    rng = np.random.default_rng(1)
    rtol, atol = tolerance("gemm", dtype)
    f1, f2 = (rng.standard_normal((2, 4, 9, 19)).astype(dtype) for _ in range(2))
    got = vt.spatial_correlation_sample(f1, f2, *arguments)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, reference.spatial_correlation_sample(f1.astype(np.float64), f2.astype(np.float64),
                                                                         *pairs(*arguments)), rtol=rtol, atol=atol)


def test_hand_computed_cases():
    ones = np.ones((1, 1, 3, 3))
    # A 3x3 window with padding 1 over ones: the taps inside the image (4 at corners, 6 on edges).
    np.testing.assert_array_equal(vt.spatial_correlation_sample(ones, ones, 3, 1, 1, 1)[0, 0, 0],
                                  [[4, 6, 4], [6, 9, 6], [4, 6, 4]])
    # An even patch (2): shifts 0 and +1, the peer's (P-1)//2 = 0; the last column has no x + 1.
    out = vt.spatial_correlation_sample(ones, ones, 1, 2)
    assert out.shape == (1, 2, 2, 3, 3)
    np.testing.assert_array_equal(out[0, 0, 1], [[1, 1, 0]] * 3)
    np.testing.assert_array_equal(out[0, 1, 0], [[1, 1, 1], [1, 1, 1], [0, 0, 0]])
    # The peer truncates: H=2, kernel 3, stride 2 gives (2 - 3) / 2 + 1 = 1 row (floor would give 0),
    # whose window reads rows 0 and 1.
    f = np.arange(1, 5, dtype=np.float64).reshape(1, 1, 2, 2)
    out = vt.spatial_correlation_sample(f, f, (3, 1), 1, (2, 1))
    assert out.shape == (1, 1, 1, 1, 2)
    np.testing.assert_array_equal(out[0, 0, 0], [[1 + 9, 4 + 16]])
    # Stride 2, padding 1: output (y, x) sums rows 2y-1..2y+1, columns 2x-1..2x+1 of the image.
    f = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)
    out = vt.spatial_correlation_sample(f, np.ones_like(f), 3, 1, 2, 1)
    assert out.shape == (1, 1, 1, 3, 3)
    assert (out[0, 0, 0, 0, 0], out[0, 0, 0, 0, 1], out[0, 0, 0, 1, 1]) == (0 + 1 + 5 + 6, 1 + 2 + 3 + 6 + 7 + 8, 108)
    # With dilation 2 the taps are rows 2y-1, 2y+1, 2y+3 (columns alike): every window of the 2x2
    # output reads the same pixels (1, 1), (1, 3), (3, 1), (3, 3).
    out = vt.spatial_correlation_sample(f, np.ones_like(f), 3, 1, 2, 1, 2)
    np.testing.assert_array_equal(out[0, 0, 0], [[6 + 8 + 16 + 18] * 2] * 2)


def test_the_output_size_is_the_peers():
    size = vt._C.spatial_correlation_sample_output_size
    assert [size(100, 3, 1, 2, 2), size(48, 1, 0, 1, 1), size(2, 3, 0, 1, 2), size(1, 3, 0, 1, 2)] == [49, 48, 1, 0]
    with pytest.raises(ValueError, match="is negative"):
        size(1, 4, 0, 1, 1)


def test_half_precision_rounds_the_float32_result():
    rng = np.random.default_rng(2)
    f1, f2 = (rng.standard_normal((1, 3, 6, 17)).astype(np.float16) for _ in range(2))
    for arguments in [(3, 3, 2, 1, 2, 2), (1, 5, 1, 0, 1, 1)]:
        expected = vt.spatial_correlation_sample(f1.astype(np.float32), f2.astype(np.float32), *arguments)
        np.testing.assert_array_equal(vt.spatial_correlation_sample(f1, f2, *arguments), expected.astype(np.float16))


def test_results_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(3)
    f1, f2 = rng.standard_normal((3, 8, 40, 33)), rng.standard_normal((3, 8, 40, 33))
    grad = rng.standard_normal((3, 3, 4, 19, 16))
    arguments = (3, (3, 4), 2, 1, 2, 2)
    before = vt.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            vt.set_num_threads(threads)
            results.append((vt.spatial_correlation_sample(f1, f2, *arguments),
                            *vt.spatial_correlation_sample_backward(grad, f1, f2, *arguments)))
    finally:
        vt.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("arguments, error, argument, message", [
    (dict(stride=0), ValueError, "stride", r"stride=0 must be >= 1"),
    (dict(dilation=(1, 0)), ValueError, "dilation", r"dilation=\(1, 0\) must be >= 1"),
    (dict(kernel_size=-1), ValueError, "kernel_size", r"kernel_size=-1 must be >= 0"),
    (dict(patch_size=(1, 2, 3)), ValueError, "patch_size", r"patch_size must be an int or a pair"),
    (dict(padding=1.5), TypeError, "padding", r"padding must be an int"),
    (dict(kernel_size=9), ValueError, "kernel_size", r"the output size \(4 \+ 2\*0 - \(\(9 - 1\)\*1 \+ 1\)\) / 1 \+ 1 = -4"),
])
def test_bad_arguments_name_themselves(arguments, error, argument, message):
    f = np.ones((1, 2, 4, 4))
    with pytest.raises(error, match="spatial_correlation_sample: " + message) as raised:
        vt.spatial_correlation_sample(f, f, **arguments)
    assert raised.value.argument == argument


def test_mismatched_inputs_name_them():
    with pytest.raises(ValueError, match=r"spatial_correlation_sample: input2.shape\[2\]=5 does not match") as raised:
        vt.spatial_correlation_sample(np.ones((1, 2, 4, 4)), np.ones((1, 2, 5, 4)), 3, 3, 1, 1)
    assert raised.value.argument == "input2"
