"""Spatial self-attention for PyTorch, with autograd for q, k and v. The forward saves each
row's log-sum-exp, so the backward recomputes the probabilities without a second softmax."""
from typing import Tuple

import torch

from .. import _C
from ._tensors import as_numpy, require_cpu


@torch.library.custom_op("vidtemporal::spatial_attention", mutates_args=())
def _attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    out, lse = torch.empty_like(v), q.new_empty(q.shape[0], q.shape[2])
    _C.spatial_attention_forward(as_numpy(q), as_numpy(k), as_numpy(v), as_numpy(out), as_numpy(lse))
    return out, lse


@_attention.register_fake
def _(q, k, v):
    return torch.empty_like(v), q.new_empty(q.shape[0], q.shape[2])


@torch.library.custom_op("vidtemporal::spatial_attention_backward", mutates_args=())
def _attention_backward(grad: torch.Tensor, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                        lse: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    grads = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
    _C.spatial_attention_backward(as_numpy(grad), as_numpy(q), as_numpy(k), as_numpy(v), as_numpy(lse),
                                  *map(as_numpy, grads))
    return grads


@_attention_backward.register_fake
def _(grad, q, k, v, lse):
    return torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)


def _setup_context(ctx, inputs, output):
    ctx.mark_non_differentiable(output[1])
    ctx.save_for_backward(*inputs, output[1])


def _backward(ctx, grad, _grad_lse):
    q, k, v, lse = ctx.saved_tensors
    return _attention_backward(grad.contiguous(), q, k, v, lse)


_attention.register_autograd(_backward, setup_context=_setup_context)


def spatial_attention(q, k, v):
    """Softmax attention over the positions of each frame: ``q, k (B, d, S)``, ``v (B, dv, S)``
    -> ``(B, dv, S)`` (see ``vidtemporal.spatial_attention``)."""
    for tensor, name in ((q, "q"), (k, "k"), (v, "v")):
        require_cpu(tensor, name, "spatial_attention")
    return _attention(q.contiguous(), k.contiguous(), v.contiguous())[0]
