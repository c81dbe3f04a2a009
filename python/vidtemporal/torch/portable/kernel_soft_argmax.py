"""Kernel soft-argmax in plain torch: a Gaussian around each pixel's best displacement (a
constant for the gradient) sharpens the softmax; the max passes its gradient to the argmax."""
import torch


def soft_argmax(corr, sigma, temperature):
    b, p, _, h, w = corr.shape
    scores = corr.reshape(b, p * p, h, w)
    best = scores.detach().argmax(dim=1, keepdim=True)                     # first index on ties
    cells = torch.arange(p * p, device=corr.device).view(1, -1, 1, 1)
    row, column = torch.div(cells, p, rounding_mode="floor"), cells % p
    best_row, best_column = torch.div(best, p, rounding_mode="floor"), best % p
    distance = ((column - best_column) ** 2 + (row - best_row) ** 2).to(corr.dtype)
    gaussian = torch.exp(-distance / (2 * sigma * sigma))
    weights = torch.softmax(temperature * gaussian * scores, dim=1)
    radius = (p - 1) / 2
    if radius == 0:
        displacement = scores.new_zeros(b, 2, h, w) + 0 * scores.sum(1, keepdim=True)
    else:
        u = (weights * ((column - radius) / radius).to(corr.dtype)).sum(1)
        v = (weights * ((row - radius) / radius).to(corr.dtype)).sum(1)
        displacement = torch.stack([u, v], 1)
    return displacement, torch.gather(scores, 1, best)


def kernel_soft_argmax_forward(corr, sigma, temperature):
    return soft_argmax(corr, sigma, temperature)
