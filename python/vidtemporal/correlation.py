"""Local correlation on numpy arrays: the cost volume of Motion Squeeze (MSNet), identical to
spatial-correlation-sampler with kernel_size=1, stride=1, padding=0::

    out[b, i, j, y, x] = Σ_c f1[b,c,y,x] * f2[b,c, y+dy, x+dx],
    dy = (i - (P-1)/2) * dilation_patch,  dx = (j - (P-1)/2) * dilation_patch

Samples outside the image count 0; no division by C; P = patch_size must be odd.
"""
from . import _args, _glue
from ._outputs import NUMPY


def _scalars(fn, patch_size, dilation_patch):
    return _args.integer(patch_size, "patch_size", fn), _args.integer(dilation_patch, "dilation_patch", fn)


def correlation(f1, f2, patch_size=15, dilation_patch=1):
    """``f1, f2 (B, C, H, W)`` -> ``(B, P, P, H, W)``."""
    fn = "correlation"
    return _glue.correlation_forward(fn, NUMPY, f1, f2, *_scalars(fn, patch_size, dilation_patch))[0]


def correlation_backward(grad, f1, f2, patch_size=15, dilation_patch=1):
    """Gradients ``(grad_f1, grad_f2)`` of ``correlation``."""
    fn = "correlation_backward"
    return _glue.correlation_backward(fn, NUMPY, grad, f1, f2, *_scalars(fn, patch_size, dilation_patch))
