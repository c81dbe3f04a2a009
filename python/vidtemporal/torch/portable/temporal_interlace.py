"""Temporal interlace in plain torch: each of the 2G channel parts samples its clip at a
fractional time offset (linear interpolation, zeros outside the clip), scaled per frame."""
import torch


def temporal_interlace_forward(x, offsets, weights, num_segments, shift_div):
    nt, c, h, w = x.shape
    t = num_segments
    n, groups = offsets.shape
    f = c // shift_div
    parts = 2 * groups
    # Part q shifts by offsets[:, q mod G], the second G parts by its negation.
    shifts = torch.cat([offsets, -offsets], dim=1)                          # (N, 2G)
    k = torch.floor(shifts).detach()
    a = shifts - k                                                           # d a / d shift = 1
    v = x.reshape(n, t, c, h * w)[:, :, :f].reshape(n, t, parts, -1).permute(0, 2, 1, 3)  # (N, 2G, T, F/2G HW)
    time = torch.arange(t, device=x.device)

    def sample(delta):  # v[n, q, t - k - delta], zero outside [0, T)
        source = time.view(1, 1, t) - k.long().view(n, parts, 1) - delta
        inside = (source >= 0) & (source < t)
        index = source.clamp(0, max(t - 1, 0)).unsqueeze(-1).expand(-1, -1, -1, v.shape[-1])
        return torch.gather(v, 2, index) * inside.unsqueeze(-1).to(v.dtype)

    a = a.view(n, parts, 1, 1).to(x.dtype)
    mixed = (1 - a) * sample(0) + a * sample(1)
    scale = weights.repeat(1, 1, 2).permute(0, 2, 1).unsqueeze(-1)          # part q uses group q mod G
    mixed = (mixed * scale).permute(0, 2, 1, 3).reshape(n, t, f, h, w)
    rest = x.reshape(n, t, c, h, w)[:, :, f:]
    return torch.cat([mixed, rest], dim=2).reshape(nt, c, h, w),
