"""The drop-in peer APIs: spatial-correlation-sampler's ``spatial_correlation_sample`` and
``SpatialCorrelationSampler``, mmcv's ``tin_shift``, and the official TSM keyword names."""
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt  # noqa: E402

import reference  # noqa: E402
from torchvision_resnet import resnet50  # noqa: E402


def test_spatial_correlation_sample_has_the_peer_signature_and_layout():
    f1, f2 = torch.randn(2, 3, 6, 7, dtype=torch.float64), torch.randn(2, 3, 6, 7, dtype=torch.float64)
    out = vtt.spatial_correlation_sample(f1, f2, kernel_size=1, patch_size=(5, 5), stride=1, padding=0,
                                         dilation=1, dilation_patch=2)
    assert out.shape == (2, 5, 5, 6, 7)
    torch.testing.assert_close(out, reference.correlation(f1, f2, 5, 2), rtol=1e-12, atol=1e-12)
    module = vtt.SpatialCorrelationSampler(kernel_size=1, patch_size=3, stride=1, padding=0, dilation_patch=1)
    torch.testing.assert_close(module(f1, f2), reference.correlation(f1, f2, 3, 1), rtol=1e-12, atol=1e-12)
    # The peer's positional order: kernel_size, patch_size, stride, padding, dilation, dilation_patch.
    out = vtt.SpatialCorrelationSampler(3, 3, 2, 1, 2, 2)(f1, f2)
    expected = reference.spatial_correlation_sample(f1.numpy(), f2.numpy(), *[(v, v) for v in (3, 3, 2, 1, 2, 2)])
    assert out.shape == (2, 3, 3, 2, 3)
    torch.testing.assert_close(out, torch.from_numpy(expected), rtol=1e-12, atol=1e-12)


# The peer's scripts' arguments (grad_check.py's and benchmark.py's defaults, FlowNet's) and the
# shapes the fast path does not take: even and rectangular patches, rectangular windows.
GRADCHECK_ARGUMENTS = [(3, 3, 2, 1, 2, 2), (1, 3, 1, 0, 2, 2), (1, 21, 1, 0, 1, 2), (2, 4, 1, 1, 1, 1),
                       ((3, 1), (2, 3), (1, 2), (1, 0), (1, 2), (2, 1))]


@pytest.mark.parametrize("arguments", GRADCHECK_ARGUMENTS, ids=str)
def test_spatial_correlation_sample_gradcheck(arguments):
    g = torch.Generator().manual_seed(4)
    f1, f2 = (torch.randn(2, 2, 7, 6, dtype=torch.float64, generator=g, requires_grad=True) for _ in range(2))
    torch.autograd.gradcheck(lambda a, b: vtt.spatial_correlation_sample(a, b, *arguments), (f1, f2))


def test_spatial_correlation_sampler_module_and_opcheck():
    module = vtt.SpatialCorrelationSampler(kernel_size=3, patch_size=(2, 3), stride=2, padding=1)
    assert "kernel_size=3, patch_size=(2, 3), stride=2, padding=1" in repr(module)
    f1, f2 = torch.randn(1, 4, 8, 9), torch.randn(1, 4, 8, 9)
    torch.testing.assert_close(module(f1, f2), vtt.spatial_correlation_sample(f1, f2, 3, (2, 3), 2, 1))
    if hasattr(torch.library, "opcheck"):
        op = torch.ops.vidtemporal.spatial_correlation_sample_forward
        torch.library.opcheck(op, (f1.requires_grad_(), f2, 3, 3, 2, 3, 2, 2, 1, 1, 1, 1, 1, 1))


@pytest.mark.parametrize("arguments, error, message", [
    ({"stride": 0}, ValueError, r"stride=0 must be >= 1"),
    ({"dilation": -1}, ValueError, r"dilation=-1 must be >= 1"),
    ({"patch_size": (3, 5, 1)}, ValueError, r"patch_size must be an int or a pair"),
    ({"kernel_size": 7}, ValueError, r"the output size .* is negative"),
    ({"padding": "1"}, TypeError, r"padding must be an int"),
])
def test_spatial_correlation_sample_refuses_what_the_peer_cannot_run(arguments, error, message):
    f = torch.ones(1, 1, 3, 3)
    with pytest.raises(error, match="spatial_correlation_sample: " + message):
        vtt.spatial_correlation_sample(f, f, **arguments)
    if arguments.get("kernel_size") != 7:   # the output size depends on the input: known at the call
        with pytest.raises(error, match="SpatialCorrelationSampler: " + message):
            vtt.SpatialCorrelationSampler(**arguments)


def _tin_shift_reference(x, shift):
    """mmcv's forward written out: output[n, t + s] = input[n, t] for each channel group."""
    n, t, c, hw = x.shape
    groups = shift.shape[1]
    out = torch.zeros_like(x)
    for b in range(n):
        for g in range(groups):
            s = int(shift[b, g])
            channels = slice(g * c // groups, (g + 1) * c // groups)
            for i in range(t):
                if 0 <= i + s < t:
                    out[b, i + s, channels] = x[b, i, channels]
    return out


def test_tin_shift_has_mmcv_layout_and_the_exact_adjoint():
    x = torch.randn(2, 5, 6, 4, dtype=torch.float64, requires_grad=True)
    shift = torch.tensor([[1, -2, 0], [7, 3, -1]], dtype=torch.int32)
    assert torch.equal(vtt.tin_shift(x, shift), _tin_shift_reference(x.detach(), shift))
    torch.autograd.gradcheck(lambda a: vtt.tin_shift(a, shift), (x,))
    # The pinned case: shift +1, a gradient of ones, T = 4. mmcv's CUDA backward gives [0, 1, 1, 1].
    x = torch.zeros(1, 4, 1, 1, requires_grad=True)
    vtt.tin_shift(x, torch.tensor([[1]])).sum().backward()
    assert x.grad.flatten().tolist() == [1.0, 1.0, 1.0, 0.0]


def test_tin_shift_errors():
    with pytest.raises(ValueError, match=r"tin_shift: input.shape\[2\]=5 \(C\) is not a multiple of shift.shape\[1\]=2"):
        vtt.tin_shift(torch.ones(1, 3, 5, 2), torch.zeros(1, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="shift must be an integer tensor"):
        vtt.tin_shift(torch.ones(1, 3, 4, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r"input must be a floating-point tensor \(N, T, C, HW\)"):
        vtt.tin_shift(torch.ones(3, 4, 2), torch.zeros(1, 2, dtype=torch.int64))


def test_temporal_shift_takes_the_official_keyword_names():
    x = torch.randn(8, 16, 3, 3)
    official = vtt.TemporalShift(torch.nn.Identity(), n_segment=4, n_div=4)
    assert (official.num_segments, official.fold_div) == (4, 4)
    assert torch.equal(official(x), vtt.temporal_shift(x, 4, 4))
    with pytest.raises(TypeError, match="both num_segments= and its official name n_segment="):
        vtt.TemporalShift(None, 8, n_segment=4)


def test_make_temporal_shift_takes_the_official_names():
    ours = vtt.make_temporal_shift(resnet50(), 8, fold_div=4, place="block")
    official = vtt.make_temporal_shift(resnet50(), n_segment=8, shift_div=4, shift_place="block", temporal_pool=False)
    assert str(ours) == str(official)
    assert isinstance(official.layer2[0], vtt.TemporalShift) and official.layer2[0].fold_div == 4
    with pytest.raises(ValueError, match="temporal_pool=True is not supported"):
        vtt.make_temporal_shift(resnet50(), n_segment=8, temporal_pool=True)
    with pytest.raises(TypeError, match="both place= and its official name shift_place="):
        vtt.make_temporal_shift(resnet50(), 8, place="block", shift_place="blockres")
