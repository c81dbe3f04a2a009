"""Kernel soft-argmax (MSNet) of a correlation volume on numpy arrays: per pixel, a softmax of
the P x P scores sharpened by a Gaussian around the argmax, turned into a displacement in
[-1, 1] (u horizontal, v vertical), plus the confidence (the max score)::

    k* = argmax c (first on ties),  g = exp(-|k - k*|^2 / (2 sigma^2))  (in cells),
    p = softmax(temperature * g * c),  u = Σ p (kx - r) / r,  v = Σ p (ky - r) / r,  r = (P-1)/2
"""
import numpy as np

from . import _C, _args


def kernel_soft_argmax(corr, sigma=5.0, temperature=100.0):
    """``corr (B, P, P, H, W)`` -> ``(displacement (B, 2, H, W), confidence (B, 1, H, W))``."""
    b, _, _, h, w = _args.dims(corr, "corr", "kernel_soft_argmax", 5, "(B, P, P, H, W)")
    displacement, confidence = np.empty((b, 2, h, w), corr.dtype), np.empty((b, 1, h, w), corr.dtype)
    _C.kernel_soft_argmax_forward(corr, displacement, confidence, float(sigma), float(temperature))
    return displacement, confidence


def kernel_soft_argmax_backward(grad_displacement, grad_confidence, corr, sigma=5.0, temperature=100.0):
    """The gradient of ``corr`` for the gradients of the displacement and the confidence (either
    may be None: zero). The Gaussian and the argmax are constants; the confidence's gradient goes
    to the argmax."""
    grad = _args.empty_like(corr, "corr", "kernel_soft_argmax_backward")
    _C.kernel_soft_argmax_backward(grad_displacement, grad_confidence, corr, grad, float(sigma), float(temperature))
    return grad
