"""Memory formats: the temporal shift (out of place, in place, its gradient, the stream) and the
temporal interlace read and write channels_last (NHWC) memory natively and return the input's
format, bit for bit the NCHW result (the interlace's parameter gradients to rounding: their sums
run pixel by pixel); every other op takes any strided tensor torch can produce (one row-major copy)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import vidtemporal as vt  # noqa: E402
import vidtemporal.torch as vtt  # noqa: E402

import reference  # noqa: E402

NHWC = torch.channels_last


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape, fold_div", [((16, 32, 5, 6), 4), ((8, 8, 3, 3), 8), ((8, 3, 2, 2), 8),
                                              ((8, 1, 4, 4), 1), ((8, 6, 1, 1), 3)])
def test_channels_last_shift_is_native_and_exact(dtype, shape, fold_div):
    x = torch.randn(shape).to(dtype)
    x_nhwc = x.to(memory_format=NHWC)
    for mode in ("bidirectional", "unidirectional"):
        want = reference.temporal_shift(x, 8, fold_div, mode)
        got = vtt.temporal_shift(x_nhwc, 8, fold_div, mode)
        assert torch.equal(got, want) and got.is_contiguous(memory_format=NHWC)
        in_place = x_nhwc.clone(memory_format=NHWC)
        assert vtt.temporal_shift_(in_place, 8, fold_div, mode) is in_place
        assert torch.equal(in_place, want) and in_place.is_contiguous(memory_format=NHWC)
        leaf = x_nhwc.clone(memory_format=NHWC).requires_grad_(True)
        grad = torch.randn(shape).to(dtype).to(memory_format=NHWC)
        vtt.temporal_shift(leaf, 8, fold_div, mode).backward(grad)
        assert torch.equal(leaf.grad, reference.temporal_shift_backward(grad.contiguous(), 8, fold_div, mode))


@pytest.mark.parametrize("shape", [(16, 64, 64, 64), (64, 3, 150, 150)])
def test_channels_last_shift_past_the_caches(shape):
    # Outputs of 16 MB and more are written with non-temporal stores where every pixel run is
    # 16-byte aligned (C = 64), with memcpy where not (C = 3, 12-byte pixels).
    x = torch.randn(shape)
    got = vtt.temporal_shift(x.to(memory_format=NHWC), 8, 2)
    assert torch.equal(got, reference.temporal_shift(x, 8, 2, "bidirectional"))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape, fold_div", [((2, 32, 5, 6), 4), ((3, 8, 3, 3), 8), ((1, 1, 4, 4), 1),
                                              ((2, 6, 1, 1), 3)])
def test_channels_last_stream_is_native_and_exact(dtype, shape, fold_div):
    # Frames switch format mid-clip: the cache follows them, the output keeps each frame's format.
    segments = 6
    clip = torch.randn(shape[0], segments, *shape[1:]).to(dtype)
    want = reference.temporal_shift(clip.flatten(0, 1), segments, fold_div, "unidirectional").view_as(clip)
    stream = vtt.TemporalShiftStream(fold_div)
    for t, memory_format in enumerate([NHWC, NHWC, torch.contiguous_format, NHWC, torch.contiguous_format,
                                       torch.contiguous_format]):
        got = stream.step(clip[:, t].contiguous(memory_format=memory_format))
        assert torch.equal(got, want[:, t]) and got.is_contiguous(memory_format=memory_format)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape, groups, shift_div", [((8, 32, 5, 6), 2, 4), ((8, 8, 3, 3), 1, 4),
                                                      ((8, 12, 1, 1), 3, 2), ((8, 4, 2, 3), 1, 1)])
def test_channels_last_interlace_is_native(dtype, shape, groups, shift_div):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(shape, generator=g).to(dtype)
    offsets = (3 * torch.randn(2, groups, generator=g)).to(dtype)
    weights = torch.rand(2, 4, groups, generator=g).to(dtype)
    grad = torch.randn(shape, generator=g).to(dtype)

    def run(x, grad):
        leaves = [t.detach().clone(memory_format=torch.preserve_format).requires_grad_(True) for t in (x, offsets, weights)]
        y = vtt.temporal_interlace(*leaves, 4, shift_div)
        y.backward(grad)
        return y, *(leaf.grad for leaf in leaves)

    want = run(x, grad)
    # A channels_last gradient, and a row-major one for a channels_last input (converted once).
    for got in (run(x.to(memory_format=NHWC), grad.to(memory_format=NHWC)), run(x.to(memory_format=NHWC), grad)):
        assert got[0].is_contiguous(memory_format=NHWC) and got[1].is_contiguous(memory_format=NHWC)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
        tolerance = {torch.float64: 1e-12, torch.float32: 1e-5}.get(dtype, 1e-2)
        torch.testing.assert_close(got[2], want[2], rtol=tolerance, atol=tolerance)
        torch.testing.assert_close(got[3], want[3], rtol=tolerance, atol=tolerance)


def test_channels_last_interlace_gradcheck():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(8, 16, 3, 2, generator=g, dtype=torch.float64).to(memory_format=NHWC).requires_grad_(True)
    offsets = (torch.rand(2, 2, generator=g, dtype=torch.float64) * 3 - 1.5).requires_grad_(True)
    weights = torch.rand(2, 4, 2, generator=g, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, o, w: vtt.temporal_interlace(x, o, w, 4, 4), (x, offsets, weights))


def test_numpy_channels_last():
    x = np.random.default_rng(0).standard_normal((8, 16, 3, 4)).astype(np.float32)
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    y = vt.temporal_shift(nhwc, 4)
    assert np.array_equal(y, vt.temporal_shift(x, 4)) and not y.flags.c_contiguous
    assert np.array_equal(vt.temporal_shift_(nhwc.copy(order="K"), 4), vt.temporal_shift(x, 4))
    stream, frames = vt.TemporalShiftStream(4), nhwc.reshape(2, 4, 16, 3, 4)
    for t in range(4):
        frame = np.ascontiguousarray(frames[:, t].transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        out = stream.step(frame)
        assert np.array_equal(out, vt.temporal_shift(x, 4, 4, mode="unidirectional").reshape(2, 4, 16, 3, 4)[:, t])
        assert not out.flags.c_contiguous


def test_one_call_one_memory_format():
    x = torch.randn(8, 16, 3, 4).to(memory_format=NHWC)
    with pytest.raises(vt.UnsupportedError, match="y is row-major but x is channels_last; a call's tensors share"):
        vt._C.temporal_shift_forward(x, torch.empty(8, 16, 3, 4), 4, 8, 0)
    with pytest.raises(vt.UnsupportedError, match="x must be C-contiguous \\(compact row-major\\) or channels_last"):
        vt._C.temporal_shift_forward(torch.randn(8, 16, 4, 3).transpose(2, 3), torch.empty(8, 16, 3, 4), 4, 8, 0)


def test_every_other_op_takes_strided_tensors():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 16, 5, 6, generator=g, dtype=torch.float64)
    nhwc = x.to(memory_format=NHWC)
    offsets, weights = torch.randn(2, 2, generator=g, dtype=torch.float64), torch.rand(2, 4, 2, generator=g,
                                                                                       dtype=torch.float64)
    assert torch.equal(vtt.correlation(nhwc, nhwc, 3), vtt.correlation(x, x, 3))
    assert torch.equal(vtt.motion_squeeze(nhwc, 4, 3), vtt.motion_squeeze(x, 4, 3))
    v = torch.randn(8, 6, 4, generator=g, dtype=torch.float64)
    strided = v.transpose(1, 2).contiguous().transpose(1, 2)
    attn = torch.randn(2, 2, 4, 4, generator=g, dtype=torch.float64)
    assert torch.equal(vtt.global_temporal_attention(strided, attn, 4), vtt.global_temporal_attention(v, attn, 4))
    assert torch.equal(vtt.spatial_attention(strided, strided, strided), vtt.spatial_attention(v, v, v))
    module = vtt.TemporalInterlace(16, 4).double()
    torch.testing.assert_close(module(nhwc), module(x), rtol=1e-12, atol=1e-12)
