"""Region pooling in plain torch: r = scale * x assign^T per frame."""
import torch


def region_pool_forward(x, assign, normalize):
    r = torch.bmm(x, assign.transpose(1, 2))
    s = x.shape[2]
    return (r / s if normalize and s > 0 else r),
