"""Kernel soft-argmax for PyTorch, with autograd for the correlation volume."""
from ._ops import run
from ._tensors import require_cpu


def kernel_soft_argmax(corr, sigma=5.0, temperature=100.0):
    """``corr (B, P, P, H, W)`` -> ``(displacement (B, 2, H, W), confidence (B, 1, H, W))`` with
    autograd (see ``vidtemporal.kernel_soft_argmax``)."""
    require_cpu(corr, "corr", "kernel_soft_argmax")
    return run("kernel_soft_argmax", "kernel_soft_argmax_forward", corr.contiguous(), float(sigma), float(temperature))
