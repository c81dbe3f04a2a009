"""Correlation at the torch level: values and gradients against autograd of the displacement
loop, gradcheck in float64, opcheck."""
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt
import reference
from tolerances import tolerance


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_values_and_gradients_equal_autograd_of_loop(dtype):
    gen = torch.Generator().manual_seed(0)
    rtol, atol = tolerance("gemm", str(dtype).split(".")[1])
    # (rows of 8 or more take float32's register tiles)
    for b, c, h, w, p, dil in [(2, 3, 4, 5, 1, 1), (1, 8, 6, 6, 3, 2), (2, 2, 2, 3, 7, 1), (1, 16, 9, 5, 5, 1),
                               (2, 5, 7, 11, 5, 1), (1, 6, 8, 8, 3, 2), (1, 3, 5, 19, 25, 1)]:
        f1, f2 = (torch.randn(b, c, h, w, generator=gen, dtype=dtype) for _ in range(2))
        ours = [f1.clone().requires_grad_(), f2.clone().requires_grad_()]
        theirs = [f1.clone().requires_grad_(), f2.clone().requires_grad_()]
        y, y_ref = vtt.correlation(*ours, p, dil), reference.correlation(*theirs, p, dil)
        torch.testing.assert_close(y, y_ref, rtol=rtol, atol=atol)
        g = torch.randn(y.shape, generator=gen, dtype=dtype)
        y.backward(g)
        y_ref.backward(g)
        for a, r in zip(ours, theirs):
            torch.testing.assert_close(a.grad, r.grad, rtol=rtol, atol=atol)


def test_gradcheck_and_opcheck():
    f1, f2 = (torch.randn(1, 3, 4, 5, dtype=torch.float64, requires_grad=True) for _ in range(2))
    assert torch.autograd.gradcheck(lambda a, b: vtt.correlation(a, b, 3, 2), (f1, f2))
    ops = torch.ops.vidtemporal
    f = [torch.randn(1, 2, 3, 4, requires_grad=True) for _ in range(2)]
    torch.library.opcheck(ops.correlation_forward, (*f, 3, 1))
    torch.library.opcheck(ops.correlation_backward, (torch.randn(1, 3, 3, 3, 4), *(x.detach() for x in f), 3, 1,
                                                      [True, False]))


def test_errors():
    with pytest.raises(ValueError, match="f2 is on meta"):
        vtt.correlation(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2, device="meta"), 3)
    with pytest.raises(ValueError, match="patch_size=0 must be >= 1"):
        vtt.correlation(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), 0)
