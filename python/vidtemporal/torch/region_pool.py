"""Region pooling for PyTorch, with autograd for x and the assignment."""
from typing import Tuple

import torch

from .. import _C
from ._tensors import as_numpy, require_cpu


@torch.library.custom_op("vidtemporal::region_pool", mutates_args=())
def _pool(x: torch.Tensor, assign: torch.Tensor, normalize: bool) -> torch.Tensor:
    out = x.new_empty(x.shape[0], x.shape[1], assign.shape[1])
    _C.region_pool_forward(as_numpy(x), as_numpy(assign), as_numpy(out), normalize)
    return out


@_pool.register_fake
def _(x, assign, normalize):
    return x.new_empty(x.shape[0], x.shape[1], assign.shape[1])


@torch.library.custom_op("vidtemporal::region_pool_backward", mutates_args=())
def _pool_backward(grad: torch.Tensor, x: torch.Tensor, assign: torch.Tensor,
                   normalize: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    grads = torch.empty_like(x), torch.empty_like(assign)
    _C.region_pool_backward(as_numpy(grad), as_numpy(x), as_numpy(assign), *map(as_numpy, grads), normalize)
    return grads


@_pool_backward.register_fake
def _(grad, x, assign, normalize):
    return torch.empty_like(x), torch.empty_like(assign)


def _setup_context(ctx, inputs, output):
    x, assign, ctx.normalize = inputs
    ctx.save_for_backward(x, assign)


def _backward(ctx, grad):
    x, assign = ctx.saved_tensors
    return (*_pool_backward(grad.contiguous(), x, assign, ctx.normalize), None)


_pool.register_autograd(_backward, setup_context=_setup_context)


def region_pool(x, assign, normalize=True):
    """``x (B, C, S)``, ``assign (B, K, S)`` -> ``(B, C, K)`` (see ``vidtemporal.region_pool``)."""
    require_cpu(x, "x", "region_pool")
    require_cpu(assign, "assign", "region_pool")
    if x.dim() != 3 or assign.dim() != 3:
        raise ValueError(f"region_pool: x must be (B, C, S) and assign (B, K, S), got shapes {tuple(x.shape)} "
                         f"and {tuple(assign.shape)}")
    return _pool(x.contiguous(), assign.contiguous(), bool(normalize))
