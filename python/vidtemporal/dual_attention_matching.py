"""Dual attention matching (DAM, Wu et al. ICCV 2019) on numpy arrays. No official code exists;
this follows the method as the seminar notes present it. For each modality, with segment features F (T x D) in a
common space and the event region R (mask == 1)::

    self_att(F) = softmax((F Wq)(F Wk)^T / sqrt(Dk)) (F Wv)   over the segments of R only
    global      = mean over R of self_att(F)                   (0 for an empty region)
    p_audio[t]  = σ(global_visual · audio[t]),   p_visual[t] = σ(global_audio · visual[t])
    p           = (p_audio + p_visual) / 2
"""
import numpy as np

from . import _C, _args

WEIGHTS = ("wq_a", "wk_a", "wv_a", "wq_v", "wk_v", "wv_v")


def dual_attention_matching(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """``audio, visual (N, T, D)``, ``mask (N, T)`` of 0/1 in the features' dtype, ``wq, wk
    (D, Dk)``, ``wv (D, D)`` per modality -> ``(p, p_audio, p_visual, global_audio,
    global_visual)``: three ``(N, T)`` and two ``(N, D)`` arrays."""
    n, t, d = _args.dims(audio, "audio", "dual_attention_matching", 3, "(N, T, D)")
    outputs = [np.empty((n, t), audio.dtype) for _ in range(3)] + [np.empty((n, d), audio.dtype) for _ in range(2)]
    _C.dual_attention_matching_forward(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v, *outputs, None)
    return tuple(outputs)


def dual_attention_matching_backward(grad_p, grad_p_audio, grad_p_visual, grad_global_audio, grad_global_visual,
                                     audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """Gradients of ``dual_attention_matching`` for the gradients of its five outputs (any may be
    None: zero), in forward order: ``(grad_audio, grad_visual, grad_mask, grad_wq_a, grad_wk_a,
    grad_wv_a, grad_wq_v, grad_wk_v, grad_wv_v)``. The mask selects segments: its gradient is zero."""
    fn = "dual_attention_matching_backward"
    weights = (wq_a, wk_a, wv_a, wq_v, wk_v, wv_v)
    grads = [_args.empty_like(audio, "audio", fn), _args.empty_like(visual, "visual", fn)]
    grads += [_args.empty_like(w, name, fn) for w, name in zip(weights, WEIGHTS)]
    _C.dual_attention_matching_backward(grad_p, grad_p_audio, grad_p_visual, grad_global_audio, grad_global_visual,
                                        audio, visual, mask, *weights, None, *grads)
    return (grads[0], grads[1], np.zeros_like(mask), *grads[2:])
