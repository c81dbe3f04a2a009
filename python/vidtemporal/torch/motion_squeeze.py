"""Motion Squeeze (MSNet) for PyTorch: the fused op with autograd and the ``MotionSqueeze``
module (reduction, fused op, depthwise-separable feature transform, residual add)."""
import math

import torch
from torch import nn

from .. import _args
from .._errors import error
from ._custom_ops import run
from ._tensors import builds, require_tensor, require_input


def motion_squeeze(x, num_segments, patch_size=15, sigma=5.0, temperature=100.0, normalize=True):
    """The fused Motion Squeeze core with autograd (see ``vidtemporal.motion_squeeze``):
    ``x (N*T, C, H, W)`` -> ``(N*T, 3, H, W)`` = [u, v, confidence]."""
    fn = "motion_squeeze"
    require_tensor(x, "x", fn)
    return run(fn, "motion_squeeze_forward", x.contiguous(), _args.integer(num_segments, "num_segments", fn),
               _args.integer(patch_size, "patch_size", fn), _args.real(sigma, "sigma", fn),
               _args.real(temperature, "temperature", fn), _args.flag(normalize, "normalize", fn))


def _separable(cin, cout, kernel):
    """Depthwise k x k then pointwise 1 x 1, each followed by BatchNorm and ReLU."""
    return nn.Sequential(nn.Conv2d(cin, cin, kernel, padding=kernel // 2, groups=cin, bias=False), nn.BatchNorm2d(cin),
                         nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class MotionSqueeze(nn.Module):
    """The MS module (Kwon et al. ECCV 2020): ``x (N*T, C, H, W)`` -> ``x + F(x)``, where F is a
    1x1 conv + BN + ReLU reduction to ``reduced`` channels, the fused motion op ([u, v,
    confidence] per frame), and four depthwise-separable blocks 3 -> 16 -> 32 -> 64 -> C (the
    first depthwise 7x7, the others 3x3). Drop it into a TSM-ResNet after stage 2."""

    @builds("MotionSqueeze")
    def __init__(self, in_channels, num_segments, reduced=64, patch_size=15, sigma=5.0, temperature=100.0):
        super().__init__()
        fn = "MotionSqueeze"
        in_channels, reduced = _args.positive(in_channels, "in_channels", fn), _args.positive(reduced, "reduced", fn)
        num_segments, patch_size = _args.positive(num_segments, "num_segments", fn), _args.positive(patch_size, "patch_size", fn)
        sigma, temperature = _args.real(sigma, "sigma", fn), _args.real(temperature, "temperature", fn)
        if patch_size % 2 == 0:
            raise error(ValueError, fn, "patch_size", f"patch_size={patch_size} must be odd")
        if not (sigma > 0 and math.isfinite(sigma)) or not math.isfinite(temperature):
            raise error(ValueError, fn, "sigma",
                        f"sigma={sigma} must be positive and finite, and temperature={temperature} finite")
        self.in_channels = in_channels
        self.num_segments, self.patch_size, self.sigma, self.temperature = num_segments, patch_size, sigma, temperature
        self.reduce = nn.Sequential(nn.Conv2d(in_channels, reduced, 1, bias=False), nn.BatchNorm2d(reduced),
                                    nn.ReLU(inplace=True))
        widths = [3, 16, 32, 64, in_channels]
        self.transform = nn.Sequential(*(_separable(widths[i], widths[i + 1], 7 if i == 0 else 3) for i in range(4)))

    def forward(self, x):
        require_input(x, "x", "MotionSqueeze", "(N*T, C, H, W)", channels=self.in_channels,
                      num_segments=self.num_segments, module=self)
        motion = motion_squeeze(self.reduce(x), self.num_segments, self.patch_size, self.sigma, self.temperature)
        return x + self.transform(motion)

    def extra_repr(self):
        return f"num_segments={self.num_segments}, patch_size={self.patch_size}"
