"""The DAM training loss: mean binary cross-entropy of the event relevance ``p`` against
``labels`` (both in [0, 1], any shape), safe at p = 0 and 1 like torch's BCELoss (logs clamped at
-100; the gradient divides by max(p (1 - p), 1e-12))."""
import numpy as np

from . import _args, _glue
from ._outputs import NUMPY


def dam_loss(p, labels):
    """Mean binary cross-entropy, a scalar of p's dtype."""
    return _glue.dam_loss_forward("dam_loss", NUMPY, p, labels)[0][()]


def dam_loss_backward(grad, p, labels):
    """``(grad_p, grad_labels)`` for the loss gradient ``grad`` (a scalar)."""
    fn = "dam_loss_backward"
    if isinstance(grad, np.ndarray) and grad.ndim == 0:
        grad = grad[()]
    grad = np.full((), _args.real(grad, "grad", fn), _args.array(p, "p", fn).dtype)
    return _glue.dam_loss_backward(fn, NUMPY, grad, p, labels)
