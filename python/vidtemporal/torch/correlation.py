"""Local correlation for PyTorch, with autograd for both feature maps."""
from typing import Tuple

import torch

from .. import _args, _C
from ._tensors import as_numpy, require_cpu


@torch.library.custom_op("vidtemporal::correlation", mutates_args=())
def _correlation(f1: torch.Tensor, f2: torch.Tensor, patch_size: int, dilation_patch: int) -> torch.Tensor:
    b, _, h, w = f1.shape
    out = f1.new_empty(b, patch_size, patch_size, h, w)
    _C.correlation_forward(as_numpy(f1), as_numpy(f2), as_numpy(out), patch_size, dilation_patch)
    return out


@_correlation.register_fake
def _(f1, f2, patch_size, dilation_patch):
    b, _, h, w = f1.shape
    return f1.new_empty(b, patch_size, patch_size, h, w)


@torch.library.custom_op("vidtemporal::correlation_backward", mutates_args=())
def _correlation_backward(grad: torch.Tensor, f1: torch.Tensor, f2: torch.Tensor, patch_size: int,
                          dilation_patch: int) -> Tuple[torch.Tensor, torch.Tensor]:
    grads = torch.empty_like(f1), torch.empty_like(f2)
    _C.correlation_backward(as_numpy(grad), as_numpy(f1), as_numpy(f2), *map(as_numpy, grads), patch_size,
                            dilation_patch)
    return grads


@_correlation_backward.register_fake
def _(grad, f1, f2, patch_size, dilation_patch):
    return torch.empty_like(f1), torch.empty_like(f2)


def _setup_context(ctx, inputs, output):
    f1, f2, ctx.patch_size, ctx.dilation_patch = inputs
    ctx.save_for_backward(f1, f2)


def _backward(ctx, grad):
    f1, f2 = ctx.saved_tensors
    return (*_correlation_backward(grad.contiguous(), f1, f2, ctx.patch_size, ctx.dilation_patch), None, None)


_correlation.register_autograd(_backward, setup_context=_setup_context)


def correlation(f1, f2, patch_size=15, dilation_patch=1):
    """``f1, f2 (B, C, H, W)`` -> ``(B, P, P, H, W)`` with autograd (see ``vidtemporal.correlation``);
    a drop-in for spatial-correlation-sampler with kernel_size=1, stride=1, padding=0."""
    fn = "correlation"
    require_cpu(f1, "f1", fn)
    require_cpu(f2, "f2", fn)
    if f1.dim() != 4:
        raise ValueError(f"{fn}: f1 must have 4 dims (B, C, H, W), got shape {tuple(f1.shape)}")
    patch_size = _args.integer(patch_size, "patch_size", fn)
    if patch_size < 1:
        raise ValueError(f"{fn}: patch_size={patch_size} must be >= 1")
    return _correlation(f1.contiguous(), f2.contiguous(), patch_size, _args.integer(dilation_patch, "dilation_patch", fn))
