"""Motion Squeeze at the torch level: the fused op's gradient equals autograd through the
composition of the separate ops; gradcheck; the module."""
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt


def composed(x, t, p, sigma, temperature):
    nt, c, h, w = x.shape
    x = x / torch.sqrt((x * x).sum(1, keepdim=True) + 1e-6)
    frames = x.view(nt // t, t, c, h, w)
    maps = []
    for s in range(t - 1):
        corr = torch.relu(vtt.correlation(frames[:, s], frames[:, s + 1], p))
        displacement, confidence = vtt.kernel_soft_argmax(corr, sigma, temperature)
        maps.append(torch.cat([displacement, confidence], 1))
    maps.append(maps[-1])
    return torch.stack(maps, 1).reshape(nt, 3, h, w)


def test_gradient_equals_autograd_of_composition():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2 * 3, 4, 5, 6, generator=gen, dtype=torch.float64)
    ours, theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    y, y_ref = vtt.motion_squeeze(ours, 3, 5, 2.0, 10.0), composed(theirs, 3, 5, 2.0, 10.0)
    torch.testing.assert_close(y, y_ref)
    g = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(ours.grad, theirs.grad)


def test_gradcheck_and_opcheck():
    x = (torch.randn(4, 3, 3, 4, dtype=torch.float64) + 1.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda v: vtt.motion_squeeze(v, 2, 3, 1.0, 3.0), (x,))
    torch.library.opcheck(torch.ops.vidtemporal.motion_squeeze_forward,
                          (torch.randn(4, 3, 5, 5, requires_grad=True), 2, 3, 5.0, 100.0, True))


def test_module_shapes_and_training_signal():
    torch.manual_seed(0)
    module = vtt.MotionSqueeze(in_channels=32, num_segments=4, reduced=16, patch_size=7)
    x = torch.randn(8, 32, 10, 10)
    y = module(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert module.reduce[0].weight.grad.abs().sum() > 0
    assert module.transform[0][0].kernel_size == (7, 7) and module.transform[1][0].kernel_size == (3, 3)
