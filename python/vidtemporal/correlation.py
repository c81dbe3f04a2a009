"""Local correlation on numpy arrays: the cost volume of Motion Squeeze (MSNet), identical to
spatial-correlation-sampler with kernel_size=1, stride=1, padding=0::

    out[b, i, j, y, x] = Σ_c f1[b,c,y,x] * f2[b,c, y+dy, x+dx],
    dy = (i - (P-1)/2) * dilation_patch,  dx = (j - (P-1)/2) * dilation_patch

Samples outside the image count 0; no division by C; P = patch_size must be odd.
"""
import numpy as np

from . import _C, _args


def correlation(f1, f2, patch_size=15, dilation_patch=1):
    """``f1, f2 (B, C, H, W)`` -> ``(B, P, P, H, W)``."""
    fn = "correlation"
    b, _, h, w = _args.dims(f1, "f1", fn, 4, "(B, C, H, W)")
    patch_size = _args.integer(patch_size, "patch_size", fn)
    out = np.empty((b, max(patch_size, 0), max(patch_size, 0), h, w), f1.dtype)
    _C.correlation_forward(f1, f2, out, patch_size, _args.integer(dilation_patch, "dilation_patch", fn))
    return out


def correlation_backward(grad, f1, f2, patch_size=15, dilation_patch=1):
    """Gradients ``(grad_f1, grad_f2)`` of ``correlation``."""
    fn = "correlation_backward"
    grads = _args.empty_like(f1, "f1", fn), _args.empty_like(f2, "f2", fn)
    _C.correlation_backward(grad, f1, f2, *grads, _args.integer(patch_size, "patch_size", fn),
                            _args.integer(dilation_patch, "dilation_patch", fn))
    return grads
