"""Spatial self-attention for PyTorch, with autograd for q, k and v. The forward saves each
row's log-sum-exp, so the backward recomputes the probabilities without a second softmax."""
from ._custom_ops import run
from ._tensors import require_tensor


def spatial_attention(q, k, v):
    """Softmax attention over the positions of each frame: ``q, k (B, d, S)``, ``v (B, dv, S)``
    -> ``(B, dv, S)`` (see ``vidtemporal.spatial_attention``)."""
    for tensor, name in ((q, "q"), (k, "k"), (v, "v")):
        require_tensor(tensor, name, "spatial_attention")
    return run("spatial_attention", "spatial_attention_forward", q.contiguous(), k.contiguous(), v.contiguous(),
               [True])[0]
