"""The fused Motion Squeeze core (MSNet, Kwon et al. ECCV 2020) on numpy arrays. Per clip: if
``normalize``, divide each pixel's channel vector by sqrt(Σ x² + 1e-6); correlate frame t with
t + 1; ReLU; kernel soft-argmax -> ``[u, v, confidence]`` per frame, the last frame repeating
frame T-2's map (T = 1: zeros). Only one frame pair's correlation volume per thread is held at a time.
"""
import numpy as np

from . import _C, _args


def motion_squeeze(x, num_segments, patch_size=15, sigma=5.0, temperature=100.0, normalize=True):
    """``x (N*T, C, H, W)`` -> ``(N*T, 3, H, W)`` = [u, v, confidence]."""
    fn = "motion_squeeze"
    nt, _, h, w = _args.dims(x, "x", fn, 4, "(N*T, C, H, W)")
    out = np.empty((nt, 3, h, w), x.dtype)
    _C.motion_squeeze_forward(x, out, _args.integer(num_segments, "num_segments", fn),
                              _args.integer(patch_size, "patch_size", fn), float(sigma), float(temperature),
                              bool(normalize))
    return out


def motion_squeeze_backward(grad, x, num_segments, patch_size=15, sigma=5.0, temperature=100.0, normalize=True):
    """The gradient of ``x`` (the soft-argmax's Gaussian and argmax are constants)."""
    fn = "motion_squeeze_backward"
    grad_x = _args.empty_like(x, "x", fn)
    _C.motion_squeeze_backward(grad, x, grad_x, _args.integer(num_segments, "num_segments", fn),
                               _args.integer(patch_size, "patch_size", fn), float(sigma), float(temperature),
                               bool(normalize))
    return grad_x
