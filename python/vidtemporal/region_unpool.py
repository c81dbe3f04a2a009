"""Region unpooling (back to pixels with the same assignment, the paper's ``G_R^T``)::

    y[b, c, s] = Σ_k assign[b, k, s] * r[b, c, k]

``r (B, C, K)``, ``assign (B, K, S)``.
"""
import numpy as np

from . import _C, _args


def region_unpool(r, assign):
    """``r (B, C, K)``, ``assign (B, K, S)`` -> ``y (B, C, S)``."""
    fn = "region_unpool"
    b, c, _ = _args.dims(r, "r", fn, 3, "(B, C, K)")
    s = _args.dims(assign, "assign", fn, 3, "(B, K, S)")[2]
    out = np.empty((b, c, s), r.dtype)
    _C.region_unpool_forward(r, assign, out)
    return out


def region_unpool_backward(grad, r, assign):
    """Gradients ``(grad_r, grad_assign)`` of ``region_unpool``."""
    fn = "region_unpool_backward"
    grad_r, grad_assign = _args.empty_like(r, "r", fn), _args.empty_like(assign, "assign", fn)
    _C.region_unpool_backward(grad, r, assign, grad_r, grad_assign)
    return grad_r, grad_assign
