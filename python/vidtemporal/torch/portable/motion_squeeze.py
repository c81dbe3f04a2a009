"""Motion squeeze in plain torch: normalised features, correlation of each frame with the next,
ReLU, kernel soft-argmax; the last frame repeats the map before it (a clip of one frame: zeros)."""
import torch

from .correlation import correlate
from .kernel_soft_argmax import soft_argmax


def motion_squeeze_forward(x, num_segments, patch_size, sigma, temperature, normalize):
    nt, c, h, w = x.shape
    t = num_segments
    n = nt // t
    if normalize:
        x = x / torch.sqrt((x * x).sum(1, keepdim=True) + 1e-6)
    if t == 1:
        return x.new_zeros(nt, 3, h, w) + 0 * x.sum(),
    clips = x.reshape(n, t, c, h, w)
    first = clips[:, :-1].reshape(-1, c, h, w)
    second = clips[:, 1:].reshape(-1, c, h, w)
    corr = torch.relu(correlate(first, second, patch_size, 1))
    displacement, confidence = soft_argmax(corr, sigma, temperature)
    maps = torch.cat([displacement, confidence], 1).reshape(n, t - 1, 3, h, w)
    return torch.cat([maps, maps[:, -1:]], 1).reshape(nt, 3, h, w),
