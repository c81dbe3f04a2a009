"""Global temporal attention (GTA) for PyTorch: the autograd mixing op and the
``GlobalTemporalAttention`` block (spatial attention, pixel GTA, region GTA, projections)."""
import torch
from torch import nn

from .. import _args
from .._errors import error
from ._custom_ops import run
from ._tensors import builds, require_tensor, require_input
from .region_pool import region_pool
from .region_unpool import region_unpool
from .spatial_attention import spatial_attention


def global_temporal_attention(v, attn, num_segments, groups=None):
    """Cross-channel multi-head temporal mixing with autograd for v and attn (see
    ``vidtemporal.global_temporal_attention``): ``v (N*T, C, S)``, ``attn (G, G, T, T)``."""
    fn = "global_temporal_attention"
    require_tensor(v, "v", fn)
    require_tensor(attn, "attn", fn)
    if groups is not None and attn.dim() == 4 and _args.integer(groups, "groups", fn) != attn.shape[0]:
        raise error(ValueError, fn, "groups",
                    f"groups={groups} but attn has shape {tuple(attn.shape)}, i.e. G={attn.shape[0]}")
    return run(fn, "global_temporal_attention_forward", v.contiguous(), attn.contiguous(),
               _args.integer(num_segments, "num_segments", fn))


def _projection(cin, cout, zero_init):
    """1x1 conv + BatchNorm; a zero-initialised BatchNorm makes the branch start at exactly 0."""
    bn = nn.BatchNorm2d(cout)
    if zero_init:
        nn.init.zeros_(bn.weight)
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), bn)


class GlobalTemporalAttention(nn.Module):
    """The GTA block (He et al. BMVC 2021, our reading; no official code exists).

    ``X -> Y_s = X + Proj_S(SA(X))`` (spatial self-attention within each frame, scale 1/sqrt(d))
    ``-> Y = Y_s + Proj_P(GTA_P(V_P)) + Proj_R(unpool(GTA_R(pool(V_R))))`` where V_P, V_R, the
    region assignment (K = ``regions`` outputs, the paper's ``W_G X^T``) and the spatial q/k/v are
    1x1 convs of the input, GTA_P and GTA_R are cross-channel multi-head mixings with learned
    ``(G, G, T, T)`` matrices initialised from N(0, 1/T) (variance 1/T), and the output projections
    end in BatchNorms initialised to zero, so the block starts as the identity.

    Input and output ``(N*T, C, H, W)``; insert it after a ResNet stage like a non-local block.
    The flags turn off the paper's ablation components: ``spatial`` (SA), ``pixel`` (pixel GTA),
    ``region`` (region GTA) and ``cross_channel`` (each group then mixes only its own channels).
    """

    @builds("GlobalTemporalAttention")
    def __init__(self, channels, num_segments, groups=8, regions=None, *, spatial=True, pixel=True, region=True,
                 cross_channel=True):
        super().__init__()
        fn = "GlobalTemporalAttention"
        channels, num_segments = _args.positive(channels, "channels", fn), _args.positive(num_segments, "num_segments", fn)
        groups = _args.positive(groups, "groups", fn)
        for name, flag in (("spatial", spatial), ("pixel", pixel), ("region", region), ("cross_channel", cross_channel)):
            _args.flag(flag, name, fn)
        self.channels, self.num_segments, self.groups = channels, num_segments, groups
        self.regions = channels // 8 if regions is None else _args.integer(regions, "regions", fn)
        if channels % groups:
            raise error(ValueError, fn, "channels", f"channels={channels} is not divisible by groups={groups}")
        if region and self.regions < 1:
            raise error(ValueError, fn, "regions", f"regions={self.regions} must be >= 1 (channels // 8 by default)")
        self.spatial, self.pixel, self.region, self.cross_channel = spatial, pixel, region, cross_channel
        inner = max(1, channels // 2)
        if spatial:
            self.query, self.key, self.value = (nn.Conv2d(channels, inner, 1) for _ in range(3))
            self.spatial_out = _projection(inner, channels, zero_init=True)
        std = num_segments ** -0.5
        if pixel:
            self.pixel_value = nn.Conv2d(channels, channels, 1)
            self.pixel_attn = nn.Parameter(torch.randn(groups, groups, num_segments, num_segments) * std)
            self.pixel_out = _projection(channels, channels, zero_init=True)
        if region:
            self.region_value = nn.Conv2d(channels, channels, 1)
            self.region_assign = nn.Conv2d(channels, self.regions, 1)
            self.region_attn = nn.Parameter(torch.randn(groups, groups, num_segments, num_segments) * std)
            self.region_out = _projection(channels, channels, zero_init=True)
        self.register_buffer("head_mask", torch.eye(groups)[:, :, None, None], persistent=False)

    def _attn(self, attn):
        return attn if self.cross_channel else attn * self.head_mask

    def forward(self, x):
        require_input(x, "x", "GlobalTemporalAttention", "(N*T, C, H, W)", channels=self.channels,
                      num_segments=self.num_segments, module=self)
        nt, c, h, w = x.shape
        t = self.num_segments
        if self.spatial:
            q, k, v = (conv(x).flatten(2) for conv in (self.query, self.key, self.value))
            x = x + self.spatial_out(spatial_attention(q, k, v).view(nt, v.shape[1], h, w))
        out = x
        if self.pixel:
            mixed = global_temporal_attention(self.pixel_value(x).flatten(2), self._attn(self.pixel_attn), t)
            out = out + self.pixel_out(mixed.view(nt, c, h, w))
        if self.region:
            assign = self.region_assign(x).flatten(2)
            regions = region_pool(self.region_value(x).flatten(2), assign)
            mixed = global_temporal_attention(regions, self._attn(self.region_attn), t)
            out = out + self.region_out(region_unpool(mixed, assign).view(nt, c, h, w))
        return out

    def extra_repr(self):
        parts = [name for name in ("spatial", "pixel", "region", "cross_channel") if getattr(self, name)]
        return (f"channels={self.channels}, num_segments={self.num_segments}, groups={self.groups}, "
                f"regions={self.regions}, parts={'+'.join(parts)}")
