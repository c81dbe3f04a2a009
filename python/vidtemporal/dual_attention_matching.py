"""Dual attention matching (DAM, Wu et al. ICCV 2019) on numpy arrays. No official code exists;
this follows the method as the seminar notes present it. For each modality, with segment features F (T x D) in a
common space and the event region R (mask == 1)::

    self_att(F) = softmax((F Wq)(F Wk)^T / sqrt(Dk)) (F Wv)   over the segments of R only
    global      = mean over R of self_att(F)                   (0 for an empty region)
    p_audio[t]  = σ(global_visual · audio[t]),   p_visual[t] = σ(global_audio · visual[t])
    p           = (p_audio + p_visual) / 2
"""
import numpy as np

from . import _args, _glue
from ._outputs import NUMPY


def dual_attention_matching(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """``audio, visual (N, T, D)``, ``mask (N, T)`` of 0/1 in the features' dtype, ``wq, wk
    (D, Dk)``, ``wv (D, D)`` per modality -> ``(p, p_audio, p_visual, global_audio,
    global_visual)``: three ``(N, T)`` and two ``(N, D)`` arrays."""
    return _glue.dual_attention_matching_forward("dual_attention_matching", NUMPY, audio, visual, mask, wq_a,
                                                 wk_a, wv_a, wq_v, wk_v, wv_v, workspace=False)[:5]


def dual_attention_matching_backward(grad_p, grad_p_audio, grad_p_visual, grad_global_audio, grad_global_visual,
                                     audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """Gradients of ``dual_attention_matching`` for the gradients of its five outputs (any may be
    None: zero), in forward order: ``(grad_audio, grad_visual, grad_mask, grad_wq_a, grad_wk_a,
    grad_wv_a, grad_wq_v, grad_wk_v, grad_wv_v)``. The mask selects segments: its gradient is zero."""
    fn = "dual_attention_matching_backward"
    grads = _glue.dual_attention_matching_backward(fn, NUMPY, grad_p, grad_p_audio, grad_p_visual,
                                                   grad_global_audio, grad_global_visual, audio, visual, mask, wq_a,
                                                   wk_a, wv_a, wq_v, wk_v, wv_v, None)
    return (grads[0], grads[1], np.zeros_like(_args.array(mask, "mask", fn)), *grads[2:])
