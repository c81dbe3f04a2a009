"""Region unpooling (back to pixels with the same assignment, the paper's ``G_R^T``)::

    y[b, c, s] = Σ_k assign[b, k, s] * r[b, c, k]

``r (B, C, K)``, ``assign (B, K, S)``.
"""
from . import _glue
from ._outputs import NUMPY


def region_unpool(r, assign):
    """``r (B, C, K)``, ``assign (B, K, S)`` -> ``y (B, C, S)``."""
    return _glue.region_unpool_forward("region_unpool", NUMPY, r, assign)[0]


def region_unpool_backward(grad, r, assign):
    """Gradients ``(grad_r, grad_assign)`` of ``region_unpool``."""
    return _glue.region_unpool_backward("region_unpool_backward", NUMPY, grad, r, assign)
