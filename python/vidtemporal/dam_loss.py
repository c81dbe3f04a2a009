"""The DAM training loss: mean binary cross-entropy of the event relevance ``p`` against
``labels`` (both in [0, 1], any shape), safe at p = 0 and 1 like torch's BCELoss (logs clamped at
-100; the gradient divides by max(p (1 - p), 1e-12))."""
import numpy as np

from . import _C, _args


def dam_loss(p, labels):
    """Mean binary cross-entropy, a scalar of p's dtype."""
    out = np.empty(1, _args.array(p, "p", "dam_loss").dtype)
    _C.dam_loss_forward(p, labels, out)
    return out[0]


def dam_loss_backward(grad, p, labels):
    """``(grad_p, grad_labels)`` for the loss gradient ``grad`` (a scalar)."""
    fn = "dam_loss_backward"
    _args.array(p, "p", fn)
    grads = _args.empty_like(p, "p", fn), _args.empty_like(labels, "labels", fn)
    _C.dam_loss_backward(np.full(1, grad, p.dtype), p, labels, *grads)
    return grads
