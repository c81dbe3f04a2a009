"""The fused Motion Squeeze core (MSNet, Kwon et al. ECCV 2020) on numpy arrays. Per clip: if
``normalize``, divide each pixel's channel vector by sqrt(Σ x² + 1e-6); correlate frame t with
t + 1; ReLU; kernel soft-argmax -> ``[u, v, confidence]`` per frame, the last frame repeating
frame T-2's map (T = 1: zeros). Only one frame pair's correlation volume per thread is held at a time.
"""
from . import _args, _glue
from ._outputs import NUMPY


def _scalars(fn, num_segments, patch_size, sigma, temperature, normalize):
    return (_args.integer(num_segments, "num_segments", fn), _args.integer(patch_size, "patch_size", fn),
            _args.real(sigma, "sigma", fn), _args.real(temperature, "temperature", fn),
            _args.flag(normalize, "normalize", fn))


def motion_squeeze(x, num_segments, patch_size=15, sigma=5.0, temperature=100.0, normalize=True):
    """``x (N*T, C, H, W)`` -> ``(N*T, 3, H, W)`` = [u, v, confidence]."""
    fn = "motion_squeeze"
    return _glue.motion_squeeze_forward(fn, NUMPY, x,
                                        *_scalars(fn, num_segments, patch_size, sigma, temperature, normalize))[0]


def motion_squeeze_backward(grad, x, num_segments, patch_size=15, sigma=5.0, temperature=100.0, normalize=True):
    """The gradient of ``x`` (the soft-argmax's Gaussian and argmax are constants)."""
    fn = "motion_squeeze_backward"
    return _glue.motion_squeeze_backward(fn, NUMPY, grad, x,
                                         *_scalars(fn, num_segments, patch_size, sigma, temperature, normalize))[0]
