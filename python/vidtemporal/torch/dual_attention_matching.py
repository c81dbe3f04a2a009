"""Dual attention matching (DAM) for PyTorch: the autograd op, the loss, localisation, and the
``DualAttentionMatching`` module (projections of VGGish-style audio and VGG-style visual segment
features into a common space, then the op)."""
import torch
from torch import nn

from .. import _args
from .._errors import error
from ._custom_ops import run
from ._tensors import builds, require_tensor, require_input

_INPUTS = ("audio", "visual", "mask", "wq_a", "wk_a", "wv_a", "wq_v", "wk_v", "wv_v")


def dual_attention_matching(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """DAM with autograd for the features and the six weights (see
    ``vidtemporal.dual_attention_matching``); the mask gets no gradient. The forward keeps the
    region's projections and pooling weights in a workspace the backward reuses."""
    fn = "dual_attention_matching"
    tensors = (audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v)
    for tensor, name in zip(tensors, _INPUTS):
        require_tensor(tensor, name, fn)
    return run(fn, "dual_attention_matching_forward", *(x.contiguous() for x in tensors), [True])[:5]


def dam_loss(p, labels):
    """Mean binary cross-entropy with autograd for p and labels (see ``vidtemporal.dam_loss``)."""
    require_tensor(p, "p", "dam_loss")
    require_tensor(labels, "labels", "dam_loss")
    return run("dam_loss", "dam_loss_forward", p.contiguous(), labels.contiguous())


def cml_localize(query_global, other_local, length):
    """``vidtemporal.cml_localize`` for tensors (no gradient: the result is an index):
    ``(D,)`` and ``(T, D)`` give an int, ``(N, D)`` and ``(N, T, D)`` an int64 tensor ``(N,)``."""
    fn = "cml_localize"
    require_tensor(query_global, "query_global", fn)
    require_tensor(other_local, "other_local", fn)
    single = query_global.dim() == 1 and other_local.dim() == 2
    if single:
        query_global, other_local = query_global[None], other_local[None]
    with torch.no_grad():
        start = run(fn, "cml_localize", query_global.contiguous(), other_local.contiguous(),
                    _args.integer(length, "length", fn))
    return int(start[0]) if single else start


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

    @builds("DualAttentionMatching")
    def __init__(self, audio_dim=128, visual_dim=512, dim=256, key_dim=64, num_classes=None):
        super().__init__()
        fn = "DualAttentionMatching"
        audio_dim, visual_dim = _args.positive(audio_dim, "audio_dim", fn), _args.positive(visual_dim, "visual_dim", fn)
        dim, key_dim = _args.positive(dim, "dim", fn), _args.positive(key_dim, "key_dim", fn)
        num_classes = None if num_classes is None else _args.positive(num_classes, "num_classes", fn)
        self.audio_dim, self.visual_dim = audio_dim, visual_dim
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
        fn = "DualAttentionMatching"
        require_input(audio, "audio", fn, "(N, T, audio_dim)", last=self.audio_dim, module=self)
        require_input(visual, "visual", fn, "(N, T, visual_dim)", last=self.visual_dim, module=self)
        if not isinstance(mask, torch.Tensor) or mask.is_complex():
            raise error(TypeError, fn, "mask", f"mask must be a real torch.Tensor, got "
                                         f"{mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__}")
        if visual.shape[:2] != audio.shape[:2] or mask.shape != audio.shape[:2]:
            raise error(ValueError, fn, "audio", f"audio {tuple(audio.shape)}, visual {tuple(visual.shape)} and mask "
                                           f"{tuple(mask.shape)} must share (N, T)")
        a, v = self.project(audio, visual)
        return dual_attention_matching(a, v, mask.to(a.dtype), self.wq_a, self.wk_a, self.wv_a, self.wq_v, self.wk_v,
                                       self.wv_v)

    def classify(self, global_audio, global_visual):
        if self.classifier is None:
            raise error(ValueError, "DualAttentionMatching.classify", "", "built without num_classes")
        return self.classifier(torch.cat([global_audio, global_visual], -1))
