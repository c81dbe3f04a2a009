"""The eager shortcut: an op pair as a ``torch.autograd.Function`` that calls the glue directly,
without the custom op's dispatch (about 100 us less per call). Under torch.compile, tracing,
torch.func, a dispatch or torch-function mode, or with tensor subclasses, the custom op runs
instead (``plain``), so the shortcut changes only the speed. It needs torch internals
(``_private``); where this torch lacks them, ``AVAILABLE`` is False and every call takes the
custom op."""
import torch

from . import _private

AVAILABLE = _private.EAGER_SHORTCUT
plain = _private.plain_eager


def function(name, forward, setup_context, backward):
    """The autograd.Function of the op pair `name`: `forward(*args)` computes the outputs,
    `setup_context` and `backward` are the custom op's autograd (``_ops._autograd``)."""

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
        return _private.first_order_only(f"{name}: the vidtemporal op has no second derivative (double backward)",
                                         gradients)

    return type(f"Eager_{name}", (torch.autograd.Function,),
                {"forward": staticmethod(forward_fn), "backward": staticmethod(first_order_backward)})
