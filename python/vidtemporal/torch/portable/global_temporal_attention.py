"""Global temporal attention in plain torch: one einsum over groups and frames."""
import torch


def global_temporal_attention_forward(v, attn, num_segments):
    nt, c, s = v.shape
    groups = attn.shape[0]
    clips = v.reshape(nt // num_segments, num_segments, groups, c // groups, s)
    y = torch.einsum("kgtu,nugcs->ntkcs", attn, clips)
    return y.reshape(nt, c, s),
