"""Kernel soft-argmax for PyTorch, with autograd for the correlation volume."""
from typing import Optional, Tuple

import torch

from .. import _C
from ._tensors import as_numpy, require_cpu


@torch.library.custom_op("vidtemporal::kernel_soft_argmax", mutates_args=())
def _soft_argmax(corr: torch.Tensor, sigma: float, temperature: float) -> Tuple[torch.Tensor, torch.Tensor]:
    b, _, _, h, w = corr.shape
    displacement, confidence = corr.new_empty(b, 2, h, w), corr.new_empty(b, 1, h, w)
    _C.kernel_soft_argmax_forward(as_numpy(corr), as_numpy(displacement), as_numpy(confidence), sigma, temperature)
    return displacement, confidence


@_soft_argmax.register_fake
def _(corr, sigma, temperature):
    b, _, _, h, w = corr.shape
    return corr.new_empty(b, 2, h, w), corr.new_empty(b, 1, h, w)


@torch.library.custom_op("vidtemporal::kernel_soft_argmax_backward", mutates_args=())
def _soft_argmax_backward(grad_displacement: Optional[torch.Tensor], grad_confidence: Optional[torch.Tensor],
                          corr: torch.Tensor, sigma: float, temperature: float) -> torch.Tensor:
    grad = torch.empty_like(corr)
    _C.kernel_soft_argmax_backward(None if grad_displacement is None else as_numpy(grad_displacement),
                                   None if grad_confidence is None else as_numpy(grad_confidence), as_numpy(corr),
                                   as_numpy(grad), sigma, temperature)
    return grad


@_soft_argmax_backward.register_fake
def _(grad_displacement, grad_confidence, corr, sigma, temperature):
    return torch.empty_like(corr)


def _setup_context(ctx, inputs, output):
    corr, ctx.sigma, ctx.temperature = inputs
    ctx.save_for_backward(corr)


def _backward(ctx, grad_displacement, grad_confidence):
    (corr,) = ctx.saved_tensors
    contiguous = [None if g is None else g.contiguous() for g in (grad_displacement, grad_confidence)]
    return _soft_argmax_backward(*contiguous, corr, ctx.sigma, ctx.temperature), None, None


_soft_argmax.register_autograd(_backward, setup_context=_setup_context)


def kernel_soft_argmax(corr, sigma=5.0, temperature=100.0):
    """``corr (B, P, P, H, W)`` -> ``(displacement (B, 2, H, W), confidence (B, 1, H, W))`` with
    autograd (see ``vidtemporal.kernel_soft_argmax``)."""
    require_cpu(corr, "corr", "kernel_soft_argmax")
    if corr.dim() != 5:
        raise ValueError(f"kernel_soft_argmax: corr must have 5 dims (B, P, P, H, W), got shape {tuple(corr.shape)}")
    return _soft_argmax(corr.contiguous(), float(sigma), float(temperature))
