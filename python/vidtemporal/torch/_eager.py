"""The eager shortcut: an op pair as a ``torch.autograd.Function`` that calls the glue directly,
without the custom op's dispatch (60 to 170 us less per forward + backward). Under
torch.compile, tracing, torch.func, a dispatch or torch-function mode, or with tensor subclasses,
the custom op runs instead (``plain``), so the shortcut changes only the speed. Telling those
apart needs torch internals for two of the checks (``_private``); where this torch lacks them,
``AVAILABLE`` is False and every call takes the custom op."""
import torch

from . import _private

AVAILABLE = _private.EAGER_SHORTCUT
plain = _private.plain_eager


def function(name, forward, setup_context, backward):
    """The autograd.Function of the op pair `name`: `forward(*args)` computes the outputs,
    `setup_context` and `backward` are the custom op's autograd (``_custom_ops._autograd``)."""

    def forward_fn(ctx, *args):
        # The context is set up here, not in a setup_context method: with one, every apply()
        # binds its arguments through inspect.signature (about 25 us).
        output = forward(*args)
        setup_context(ctx, args, output)
        return output

    def first_order_backward(ctx, *grads):
        # The backward runs the glue, not differentiable ops. Under create_graph its gradients get
        # a node that raises when differentiated (as the custom op's, which has no formula for its
        # backward), so a double backward is an error and never a silently missing term.
        with torch.no_grad():
            gradients = backward(ctx, *grads)
        if not torch.is_grad_enabled():
            return gradients
        return _first_order_only(f"{name}: the vidtemporal op has no second derivative (double backward)", gradients)

    return type(f"Eager_{name}", (torch.autograd.Function,),
                {"forward": staticmethod(forward_fn), "backward": staticmethod(first_order_backward)})


class _NoSecondDerivative(torch.autograd.Function):
    """The identity on gradients, whose own backward raises: what a double backward reaches."""

    @staticmethod
    def forward(ctx, message, *gradients):
        ctx.message = message
        return tuple(g.view_as(g) for g in gradients)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.message)


def _first_order_only(message, gradients):
    """`gradients` (tensors or None) with a node that raises `message` when differentiated."""
    present = [i for i, g in enumerate(gradients) if isinstance(g, torch.Tensor)]
    marked = _NoSecondDerivative.apply(message, *[gradients[i].detach().requires_grad_(True) for i in present])
    gradients = list(gradients)
    for i, g in zip(present, marked):
        gradients[i] = g
    return tuple(gradients)
