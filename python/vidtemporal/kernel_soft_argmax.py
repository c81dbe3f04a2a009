"""Kernel soft-argmax (MSNet) of a correlation volume on numpy arrays: per pixel, a softmax of
the P x P scores sharpened by a Gaussian around the argmax, turned into a displacement in
[-1, 1] (u horizontal, v vertical), plus the confidence (the max score)::

    k* = argmax c (first on ties),  g = exp(-|k - k*|^2 / (2 sigma^2))  (in cells),
    p = softmax(temperature * g * c),  u = Σ p (kx - r) / r,  v = Σ p (ky - r) / r,  r = (P-1)/2
"""
from . import _args, _glue
from ._outputs import NUMPY


def kernel_soft_argmax(corr, sigma=5.0, temperature=100.0):
    """``corr (B, P, P, H, W)`` -> ``(displacement (B, 2, H, W), confidence (B, 1, H, W))``."""
    fn = "kernel_soft_argmax"
    return _glue.kernel_soft_argmax_forward(fn, NUMPY, corr, _args.real(sigma, "sigma", fn),
                                            _args.real(temperature, "temperature", fn))


def kernel_soft_argmax_backward(grad_displacement, grad_confidence, corr, sigma=5.0, temperature=100.0):
    """The gradient of ``corr`` for the gradients of the displacement and the confidence (either
    may be None: zero). The Gaussian and the argmax are constants; the confidence's gradient goes
    to the argmax."""
    fn = "kernel_soft_argmax_backward"
    return _glue.kernel_soft_argmax_backward(fn, NUMPY, grad_displacement, grad_confidence, corr,
                                             _args.real(sigma, "sigma", fn),
                                             _args.real(temperature, "temperature", fn))[0]
