"""Dual attention matching (DAM) for PyTorch: the autograd op, the loss, localisation, and the
``DualAttentionMatching`` module (projections of VGGish-style audio and VGG-style visual segment
features into a common space, then the op)."""
from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import nn

from .. import _C
from ..cml_localize import cml_localize as _cml_localize
from ._tensors import as_numpy, require_cpu


def _workspace_count(audio, wq_a):
    n, t, d = audio.shape
    return _C.dual_attention_matching_workspace_count(n, t, d, wq_a.shape[1])


def _forward(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """The five outputs and the workspace (the region's projections, pooling and φ) the backward reuses."""
    n, t, d = audio.shape
    outputs = [audio.new_empty(n, t) for _ in range(3)] + [audio.new_empty(n, d) for _ in range(2)]
    workspace = audio.new_empty(_workspace_count(audio, wq_a))
    _C.dual_attention_matching_forward(*map(as_numpy, (audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v)),
                                       *map(as_numpy, outputs), as_numpy(workspace))
    return (*outputs, workspace)


def _gradients(grads, inputs, workspace):
    """The gradients of audio, visual and the six weights (None output gradients count as zero)."""
    audio, visual, mask, *weights = inputs
    results = [torch.empty_like(audio), torch.empty_like(visual)] + [torch.empty_like(w) for w in weights]
    _C.dual_attention_matching_backward(*(None if g is None else as_numpy(g) for g in grads), *map(as_numpy, inputs),
                                        as_numpy(workspace), *map(as_numpy, results))
    return results


@torch.library.custom_op("vidtemporal::dual_attention_matching", mutates_args=())
def _dam(audio: torch.Tensor, visual: torch.Tensor, mask: torch.Tensor, wq_a: torch.Tensor, wk_a: torch.Tensor,
         wv_a: torch.Tensor, wq_v: torch.Tensor, wk_v: torch.Tensor,
         wv_v: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    return _forward(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v)


@_dam.register_fake
def _(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    n, t, d = audio.shape
    return (*(audio.new_empty(n, t) for _ in range(3)), *(audio.new_empty(n, d) for _ in range(2)),
            audio.new_empty(_workspace_count(audio, wq_a)))


@torch.library.custom_op("vidtemporal::dual_attention_matching_backward", mutates_args=())
def _dam_backward(grads: List[Optional[torch.Tensor]], inputs: List[torch.Tensor],
                  workspace: torch.Tensor) -> List[torch.Tensor]:
    return _gradients(grads, inputs, workspace)


@_dam_backward.register_fake
def _(grads, inputs, workspace):
    audio, visual, mask, *weights = inputs
    return [torch.empty_like(audio), torch.empty_like(visual)] + [torch.empty_like(w) for w in weights]


def _setup_context(ctx, inputs, output):
    ctx.mark_non_differentiable(output[5])
    # No zero-filled gradients for unused outputs (the workspace's would be as large as the
    # features): the backward takes None as zero.
    ctx.set_materialize_grads(False)
    ctx.save_for_backward(*inputs, output[5])


def _backward(ctx, *grads, op=_dam_backward):
    *inputs, workspace = ctx.saved_tensors
    # Unused outputs come as None: the kernel treats a missing output gradient as zero.
    given = [None if g is None else g.contiguous() for g in grads[:5]]
    audio_grad, visual_grad, *weight_grads = op(given, inputs, workspace)
    return (audio_grad, visual_grad, None, *weight_grads)


_dam.register_autograd(_backward, setup_context=_setup_context)


class _EagerDam(torch.autograd.Function):
    """The same op for eager autograd: the kernels called directly, without the custom op's
    dispatch, which costs about 0.1 ms a step (as much as the kernels at small N). Under
    torch.compile the custom op runs instead."""

    @staticmethod
    def forward(ctx, *inputs):
        output = _forward(*inputs)
        _setup_context(ctx, inputs, output)
        return output

    @staticmethod
    def backward(ctx, *grads):
        return _backward(ctx, *grads, op=_gradients)


def dual_attention_matching(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """DAM with autograd for the features and the six weights (see
    ``vidtemporal.dual_attention_matching``); the mask gets no gradient."""
    fn = "dual_attention_matching"
    tensors = (audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v)
    names = ("audio", "visual", "mask", "wq_a", "wk_a", "wv_a", "wq_v", "wk_v", "wv_v")
    for tensor, name in zip(tensors, names):
        require_cpu(tensor, name, fn)
    if audio.dim() != 3:
        raise ValueError(f"{fn}: audio must have 3 dims (N, T, D), got shape {tuple(audio.shape)}")
    op = _dam if torch.compiler.is_compiling() else _EagerDam.apply
    return op(*(x.contiguous() for x in tensors))[:5]


@torch.library.custom_op("vidtemporal::dam_loss", mutates_args=())
def _loss(p: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    out = p.new_empty(1)
    _C.dam_loss_forward(as_numpy(p), as_numpy(labels), as_numpy(out))
    return out[0]


@_loss.register_fake
def _(p, labels):
    return p.new_empty(())


@torch.library.custom_op("vidtemporal::dam_loss_backward", mutates_args=())
def _loss_backward(grad: torch.Tensor, p: torch.Tensor, labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    grads = torch.empty_like(p), torch.empty_like(labels)
    _C.dam_loss_backward(as_numpy(grad.reshape(1)), as_numpy(p), as_numpy(labels), *map(as_numpy, grads))
    return grads


@_loss_backward.register_fake
def _(grad, p, labels):
    return torch.empty_like(p), torch.empty_like(labels)


def _loss_setup(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def _loss_grad(ctx, grad):
    p, labels = ctx.saved_tensors
    return _loss_backward(grad.contiguous(), p, labels)


_loss.register_autograd(_loss_grad, setup_context=_loss_setup)


def dam_loss(p, labels):
    """Mean binary cross-entropy with autograd for p and labels (see ``vidtemporal.dam_loss``)."""
    require_cpu(p, "p", "dam_loss")
    require_cpu(labels, "labels", "dam_loss")
    return _loss(p.contiguous(), labels.contiguous())


def cml_localize(query_global, other_local, length):
    """``vidtemporal.cml_localize`` for tensors (no gradient: the result is an index)."""
    require_cpu(query_global, "query_global", "cml_localize")
    require_cpu(other_local, "other_local", "cml_localize")
    result = _cml_localize(as_numpy(query_global.contiguous()), as_numpy(other_local.contiguous()), length)
    return result if isinstance(result, int) else torch.from_numpy(np.asarray(result))


class DualAttentionMatching(nn.Module):
    """DAM for audio-visual event localisation: linear projections of audio ``(N, T,
    audio_dim)`` (VGGish: 128) and visual ``(N, T, visual_dim)`` (VGG-19 pooled: 512) segment
    features into a ``dim``-dimensional common space (L2-normalised per segment), then
    ``dual_attention_matching`` with
    per-modality query/key ``(dim, key_dim)`` and value ``(dim, dim)`` weights.

    ``forward(audio, visual, mask)`` returns ``(p, p_audio, p_visual, global_audio,
    global_visual)``; ``mask (N, T)`` is the event region (the ground truth in training; all ones
    when it is unknown). ``project(audio, visual)`` gives the common-space features that
    ``cml_localize`` scores. With ``num_classes``, ``classify(global_audio, global_visual)`` gives
    event-class logits from the two global features (for supervised event localisation)."""

    def __init__(self, audio_dim=128, visual_dim=512, dim=256, key_dim=64, num_classes=None):
        super().__init__()
        self.audio_proj = nn.Linear(audio_dim, dim)
        self.visual_proj = nn.Linear(visual_dim, dim)
        for name in ("wq_a", "wk_a", "wq_v", "wk_v"):
            setattr(self, name, nn.Parameter(torch.randn(dim, key_dim) / dim ** 0.5))
        for name in ("wv_a", "wv_v"):
            setattr(self, name, nn.Parameter(torch.randn(dim, dim) / dim ** 0.5))
        self.classifier = nn.Linear(2 * dim, num_classes) if num_classes else None

    def project(self, audio, visual):
        # Unit-length segment features: the relevance σ(φ · f) then starts unsaturated whatever
        # the input scale (raw VGG features run to hundreds), and the value weights learn the
        # confidence.
        return (nn.functional.normalize(self.audio_proj(audio), dim=-1),
                nn.functional.normalize(self.visual_proj(visual), dim=-1))

    def forward(self, audio, visual, mask):
        a, v = self.project(audio, visual)
        return dual_attention_matching(a, v, mask.to(a.dtype), self.wq_a, self.wk_a, self.wv_a, self.wq_v, self.wk_v,
                                       self.wv_v)

    def classify(self, global_audio, global_visual):
        if self.classifier is None:
            raise ValueError("DualAttentionMatching.classify: built without num_classes")
        return self.classifier(torch.cat([global_audio, global_visual], -1))
