"""Spatial self-attention within each frame (the decoupled spatial attention before GTA)::

    y[b, :, i] = Σ_j softmax_j(q[b,:,i] · k[b,:,j] / sqrt(d)) * v[b, :, j]

``q, k (B, d, S)``, ``v (B, dv, S)``. Stable for large logits; memory per thread is two 64 x S
row blocks, never an S x S matrix.
"""
from . import _C, _args


def spatial_attention(q, k, v):
    """``q, k (B, d, S)``, ``v (B, dv, S)`` -> ``y (B, dv, S)``."""
    out = _args.empty_like(v, "v", "spatial_attention")
    _C.spatial_attention_forward(q, k, v, out, None)
    return out


def spatial_attention_backward(grad, q, k, v):
    """Gradients ``(grad_q, grad_k, grad_v)`` of ``spatial_attention``."""
    fn = "spatial_attention_backward"
    grads = _args.empty_like(q, "q", fn), _args.empty_like(k, "k", fn), _args.empty_like(v, "v", fn)
    _C.spatial_attention_backward(grad, q, k, v, None, *grads)
    return grads
