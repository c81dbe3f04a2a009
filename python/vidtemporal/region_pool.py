"""Region pooling for region GTA on numpy arrays::

    r[b, c, k] = scale * Σ_s assign[b, k, s] * x[b, c, s]

``x (B, C, S)``, ``assign (B, K, S)`` (the paper's ``G_R = W_G X^T``, computed by the caller as a
1x1 conv with K outputs), ``scale = 1/S`` when ``normalize`` (the GloRe convention, which keeps
magnitudes stable at S = 784), else 1.
"""
from . import _args, _glue
from ._outputs import NUMPY


def region_pool(x, assign, normalize=True):
    """``x (B, C, S)``, ``assign (B, K, S)`` -> ``r (B, C, K)``."""
    fn = "region_pool"
    return _glue.region_pool_forward(fn, NUMPY, x, assign, _args.flag(normalize, "normalize", fn))[0]


def region_pool_backward(grad, x, assign, normalize=True):
    """Gradients ``(grad_x, grad_assign)`` of ``region_pool``."""
    fn = "region_pool_backward"
    return _glue.region_pool_backward(fn, NUMPY, grad, x, assign, _args.flag(normalize, "normalize", fn))
