"""In eager torch the ops run as autograd.Functions without the custom ops' dispatch; these check
that the shortcut keeps the custom ops' behaviour: a double backward is an error (never a silently
missing term), autocast leaves float64 alone as torch's own rule does, and fake tensors go
through the dispatcher (their fake kernels)."""
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt  # noqa: E402
from vidtemporal.torch import _custom_ops, _eager  # noqa: E402


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


def _forward_cases():
    from test_portable import cases
    return [(name, args) for name, args in cases(torch.float64) if name in _custom_ops.EAGER_FUNCTIONS]


def _outputs_and_gradients(name, args):
    """The op's outputs through run() and the gradients of a fixed weighting of them."""
    args = [a.detach().clone().requires_grad_(a.is_floating_point()) if isinstance(a, torch.Tensor) else a
            for a in args]
    outputs = _custom_ops.run(name, name, *args)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    differentiable = [o for o in outputs if o.requires_grad]
    weights = [torch.linspace(-1, 1, o.numel(), dtype=o.dtype).view_as(o) for o in differentiable]
    loss = sum((w * o).sum() for w, o in zip(weights, differentiable))
    inputs = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    gradients = torch.autograd.grad(loss, inputs, allow_unused=True)
    return [o.detach() for o in outputs], gradients


@pytest.mark.skipif(not _eager.AVAILABLE, reason="this torch lacks what the eager shortcut needs: "
                    "every call takes the custom op (the rest of the suite)")
def test_shortcut_equals_the_custom_op(monkeypatch):
    """Each op pair through the shortcut and through the custom op (what runs where this torch
    lacks the shortcut's internals): the same outputs and gradients, bit for bit."""
    covered = set()
    for name, args in _forward_cases():
        covered.add(name)
        shortcut = _outputs_and_gradients(name, args)
        with monkeypatch.context() as patch:
            patch.setattr(_custom_ops, "EAGER_FUNCTIONS", {})
            custom_op = _outputs_and_gradients(name, args)
        for expected, got in zip(custom_op[0] + list(custom_op[1]), shortcut[0] + list(shortcut[1])):
            assert (expected is None) == (got is None), name
            assert expected is None or torch.equal(expected, got), name
    assert covered == set(_custom_ops.EAGER_FUNCTIONS)
