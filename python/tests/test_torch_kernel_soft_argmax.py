"""Kernel soft-argmax at the torch level: values and gradients against autograd of the reference
(Gaussian and argmax held constant), gradcheck away from ties, opcheck."""
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt
import reference
from tolerances import tolerance


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradients_equal_autograd_of_reference(dtype):
    gen = torch.Generator().manual_seed(0)
    rtol, atol = tolerance("kernel_soft_argmax", str(dtype).split(".")[1])
    # (widths of 8 and more take float32's 8-lane blocks)
    for b, p, h, w, sigma, temperature in [(2, 15, 3, 4, 5.0, 100.0), (1, 3, 2, 2, 0.8, 10.0), (2, 15, 2, 11, 5.0, 100.0),
                                           (1, 1, 2, 9, 5.0, 100.0)]:
        corr = torch.randn(b, p, p, h, w, generator=gen, dtype=dtype) * 0.1
        # The oracle runs in float64 on the same values, so only our rounding is measured.
        ours, theirs = corr.clone().requires_grad_(), corr.double().requires_grad_()
        out, ref = vtt.kernel_soft_argmax(ours, sigma, temperature), reference.kernel_soft_argmax(theirs, sigma,
                                                                                                   temperature)
        grads = [torch.randn(o.shape, generator=gen, dtype=dtype) for o in out]
        for o, r in zip(out, ref):
            torch.testing.assert_close(o, r.to(dtype), rtol=rtol, atol=atol)
        torch.autograd.backward(out, grads)
        torch.autograd.backward(ref, [g.double() for g in grads])
        scale = max(1.0, float(theirs.grad.abs().max()))
        torch.testing.assert_close(ours.grad, theirs.grad.to(dtype), rtol=rtol, atol=atol * scale)


def test_gradcheck_and_opcheck():
    corr = (torch.randn(1, 5, 5, 2, 2, dtype=torch.float64) * 0.05).requires_grad_()
    assert torch.autograd.gradcheck(lambda c: vtt.kernel_soft_argmax(c, 1.5, 20.0), (corr,))
    ops = torch.ops.vidtemporal
    torch.library.opcheck(ops.kernel_soft_argmax_forward, (torch.randn(1, 3, 3, 2, 2, requires_grad=True), 5.0, 100.0))
    torch.library.opcheck(ops.kernel_soft_argmax_backward, (None, torch.randn(1, 1, 2, 2), torch.randn(1, 3, 3, 2, 2),
                                                            5.0, 100.0))
