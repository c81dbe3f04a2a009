"""Dual attention matching in plain torch: masked self-attention per modality, its mean over the
event region as the global feature (0 for an empty region), and the cross-modal relevance."""
import math

import torch

from ..._errors import error

# torch.compiler.is_exporting arrived in torch 2.7; before it, export traces with dynamo, where
# is_compiling is true (the check is then skipped under torch.compile too: a graph cannot raise).
_is_exporting = getattr(torch.compiler, "is_exporting", torch.compiler.is_compiling)


def global_feature(features, mask, wq, wk, wv):
    inside = mask > 0
    logits = (features @ wq) @ (features @ wk).transpose(1, 2) / math.sqrt(wq.shape[1])
    logits = logits.masked_fill(~inside.unsqueeze(1), -torch.inf)
    # A clip without region has no keys: its (unused) rows must not be NaN.
    logits = torch.where(inside.any(1).view(-1, 1, 1), logits, torch.zeros_like(logits))
    attended = torch.softmax(logits, dim=-1) @ (features @ wv)
    count = mask.sum(1, keepdim=True).clamp(min=1)
    return (attended * mask.unsqueeze(-1)).sum(1) / count


def dual_attention_matching_forward(audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v, want):
    # As the CPU kernels check it; an exported graph cannot raise (and tracing cannot branch on data).
    exporting = _is_exporting() or torch.onnx.is_in_onnx_export()
    if not mask.is_meta and not exporting and ((mask != 0) & (mask != 1)).any():
        raise error(ValueError, "dual_attention_matching_forward", "mask", "mask holds a value that is not 0 or 1")
    global_audio = global_feature(audio, mask, wq_a, wk_a, wv_a)
    global_visual = global_feature(visual, mask, wq_v, wk_v, wv_v)
    p_audio = torch.sigmoid(torch.einsum("nd,ntd->nt", global_visual, audio))
    p_visual = torch.sigmoid(torch.einsum("nd,ntd->nt", global_audio, visual))
    # The workspace is the CPU kernels' saved state; here the backward recomputes instead.
    return (p_audio + p_visual) / 2, p_audio, p_visual, global_audio, global_visual, None
