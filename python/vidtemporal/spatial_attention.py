"""Spatial self-attention within each frame (the decoupled spatial attention before GTA)::

    y[b, :, i] = Σ_j softmax_j(q[b,:,i] · k[b,:,j] / sqrt(d)) * v[b, :, j]

``q, k (B, d, S)``, ``v (B, dv, S)``. Stable for large logits; memory per thread is two blocks of
rows x S scores: a whole frame's S x S while S <= 256, 64 rows beyond.
"""
from . import _glue
from ._outputs import NUMPY


def spatial_attention(q, k, v):
    """``q, k (B, d, S)``, ``v (B, dv, S)`` -> ``y (B, dv, S)``."""
    return _glue.spatial_attention_forward("spatial_attention", NUMPY, q, k, v, lse=False)[0]


def spatial_attention_backward(grad, q, k, v):
    """Gradients ``(grad_q, grad_k, grad_v)`` of ``spatial_attention``."""
    return _glue.spatial_attention_backward("spatial_attention_backward", NUMPY, grad, q, k, v, None)
