"""Region unpooling in plain torch: y = r assign per frame."""
import torch


def region_unpool_forward(r, assign):
    return torch.bmm(r, assign),
