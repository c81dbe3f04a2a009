"""In eager torch the ops run as autograd.Functions without the custom ops' dispatch; these check
that the shortcut keeps the custom ops' behaviour: a double backward is an error (never a silently
missing term), autocast leaves float64 alone as torch's own rule does, and fake tensors go
through the dispatcher (their fake kernels)."""
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt  # noqa: E402


def test_double_backward_is_an_error():
    q = torch.randn(2, 4, 9, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 4, 9, dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(vtt.spatial_attention(q, q, q).sum(), q, create_graph=True)
    with pytest.raises(RuntimeError, match="spatial_attention_forward: the vidtemporal op has no second derivative"):
        (g.sum() + (w * q).sum()).backward()
    # Without create_graph the gradient is plain.
    g, = torch.autograd.grad(vtt.spatial_attention(q, q, q).sum(), q)
    assert g.grad_fn is None


def test_autocast_leaves_float64_alone():
    q = torch.randn(2, 4, 9, dtype=torch.float64)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert vtt.spatial_attention(q, q, q).dtype == torch.float64
        assert vtt.spatial_attention(q.bfloat16(), q.bfloat16(), q.bfloat16()).dtype == torch.float32


def test_fake_tensors_take_the_dispatcher():
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode():
        f = torch.randn(2, 4, 9)
        y = vtt.spatial_attention(f, f, f)
        assert y.shape == (2, 4, 9) and type(y).__name__ == "FakeTensor"
