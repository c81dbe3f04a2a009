"""Kernel soft-argmax for PyTorch, with autograd for the correlation volume."""
from .. import _args
from ._custom_ops import run
from ._tensors import require_tensor


def kernel_soft_argmax(corr, sigma=5.0, temperature=100.0):
    """``corr (B, P, P, H, W)`` -> ``(displacement (B, 2, H, W), confidence (B, 1, H, W))`` with
    autograd (see ``vidtemporal.kernel_soft_argmax``)."""
    fn = "kernel_soft_argmax"
    require_tensor(corr, "corr", fn)
    return run(fn, "kernel_soft_argmax_forward", corr.contiguous(), _args.real(sigma, "sigma", fn),
               _args.real(temperature, "temperature", fn))
