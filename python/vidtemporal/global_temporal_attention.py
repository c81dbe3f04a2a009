"""Global temporal attention (GTA, He et al. BMVC 2021) on numpy arrays: cross-channel multi-head
mixing over time with a learned matrix. No official code exists; this is our reading of the
paper's eqs. 5-8::

    y[n,t, k*Cg + c, s] = Σ_g Σ_τ attn[k, g, t, τ] * v[n,τ, g*Cg + c, s]

``v (N*T, C, S)`` (any spatial layout flattened to S: pixels, or regions), ``attn (G, G, T, T)``
indexed ``[out_group, in_group, t_out, t_in]``, ``Cg = C / G``. ``G = 1`` is plain global temporal
attention ``y[t] = Σ_τ M[t, τ] v[τ]``. The matrix is used raw (no softmax).
"""
from . import _args, _glue
from ._errors import error
from ._outputs import NUMPY


def _groups(attn, groups, fn):
    shape = _args.dims(attn, "attn", fn, 4, "(G, G, T, T)")
    if groups is not None and _args.integer(groups, "groups", fn) != shape[0]:
        raise error(ValueError, fn, "groups", f"groups={groups} but attn has shape {shape}, i.e. G={shape[0]}")


def global_temporal_attention(v, attn, num_segments, groups=None):
    """``v (N*T, C, S)``, ``attn (G, G, T, T)`` -> ``y (N*T, C, S)``. ``groups`` defaults to
    ``attn.shape[0]``; when given it must match."""
    fn = "global_temporal_attention"
    _groups(attn, groups, fn)
    return _glue.global_temporal_attention_forward(fn, NUMPY, v, attn,
                                                   _args.integer(num_segments, "num_segments", fn))[0]


def global_temporal_attention_backward(grad, v, attn, num_segments, groups=None):
    """Gradients ``(grad_v, grad_attn)`` of ``global_temporal_attention``."""
    fn = "global_temporal_attention_backward"
    _groups(attn, groups, fn)
    return _glue.global_temporal_attention_backward(fn, NUMPY, grad, v, attn,
                                                    _args.integer(num_segments, "num_segments", fn))
