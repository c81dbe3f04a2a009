"""Spatial self-attention in plain torch (the S x S logits are materialised here)."""
import math

import torch


def spatial_attention_forward(q, k, v, want):
    logits = torch.bmm(q.transpose(1, 2), k) / math.sqrt(q.shape[1])     # (B, S_query, S_key)
    y = torch.bmm(v, torch.softmax(logits, dim=-1).transpose(1, 2))
    lse = torch.logsumexp(logits, dim=-1) if want[0] else None
    return y, lse
