"""Region pooling for region GTA on numpy arrays::

    r[b, c, k] = scale * Σ_s assign[b, k, s] * x[b, c, s]

``x (B, C, S)``, ``assign (B, K, S)`` (the paper's ``G_R = W_G X^T``, computed by the caller as a
1x1 conv with K outputs), ``scale = 1/S`` when ``normalize`` (the GloRe convention, which keeps
magnitudes stable at S = 784), else 1.
"""
import numpy as np

from . import _C, _args


def _output(x, assign, fn):
    b, c, _ = _args.dims(x, "x", fn, 3, "(B, C, S)")
    k = _args.dims(assign, "assign", fn, 3, "(B, K, S)")[1]
    return np.empty((b, c, k), x.dtype)


def region_pool(x, assign, normalize=True):
    """``x (B, C, S)``, ``assign (B, K, S)`` -> ``r (B, C, K)``."""
    out = _output(x, assign, "region_pool")
    _C.region_pool_forward(x, assign, out, bool(normalize))
    return out


def region_pool_backward(grad, x, assign, normalize=True):
    """Gradients ``(grad_x, grad_assign)`` of ``region_pool``."""
    fn = "region_pool_backward"
    grad_x, grad_assign = _args.empty_like(x, "x", fn), _args.empty_like(assign, "assign", fn)
    _C.region_pool_backward(grad, x, assign, grad_x, grad_assign, bool(normalize))
    return grad_x, grad_assign
