"""Region unpooling for PyTorch, with autograd for the regions and the assignment."""
from typing import Tuple

import torch

from .. import _C
from ._tensors import as_numpy, require_cpu


@torch.library.custom_op("vidtemporal::region_unpool", mutates_args=())
def _unpool(r: torch.Tensor, assign: torch.Tensor) -> torch.Tensor:
    out = r.new_empty(r.shape[0], r.shape[1], assign.shape[2])
    _C.region_unpool_forward(as_numpy(r), as_numpy(assign), as_numpy(out))
    return out


@_unpool.register_fake
def _(r, assign):
    return r.new_empty(r.shape[0], r.shape[1], assign.shape[2])


@torch.library.custom_op("vidtemporal::region_unpool_backward", mutates_args=())
def _unpool_backward(grad: torch.Tensor, r: torch.Tensor, assign: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    grads = torch.empty_like(r), torch.empty_like(assign)
    _C.region_unpool_backward(as_numpy(grad), as_numpy(r), as_numpy(assign), *map(as_numpy, grads))
    return grads


@_unpool_backward.register_fake
def _(grad, r, assign):
    return torch.empty_like(r), torch.empty_like(assign)


def _setup_context(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def _backward(ctx, grad):
    r, assign = ctx.saved_tensors
    return _unpool_backward(grad.contiguous(), r, assign)


_unpool.register_autograd(_backward, setup_context=_setup_context)


def region_unpool(r, assign):
    """``r (B, C, K)``, ``assign (B, K, S)`` -> ``(B, C, S)`` (see ``vidtemporal.region_unpool``)."""
    require_cpu(r, "r", "region_unpool")
    require_cpu(assign, "assign", "region_unpool")
    if r.dim() != 3 or assign.dim() != 3:
        raise ValueError(f"region_unpool: r must be (B, C, K) and assign (B, K, S), got shapes {tuple(r.shape)} "
                         f"and {tuple(assign.shape)}")
    return _unpool(r.contiguous(), assign.contiguous())
