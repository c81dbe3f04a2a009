"""spatial-correlation-sampler's API on vidtemporal's correlation, so code written for it runs
with an import change: ``spatial_correlation_sample`` and ``SpatialCorrelationSampler`` with its
signature and its output ``(B, PH, PW, H, W)``. The arguments vidtemporal's op covers run
(kernel_size=1, stride=1, padding=0, dilation=1; any odd square patch_size and dilation_patch);
the others raise a ValueError that names them."""
from torch import nn

from .. import _args
from .._errors import error
from .correlation import correlation

_FN = "spatial_correlation_sample"


def _pair(value, name, fn):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise error(ValueError, fn, name, f"{name} must be an int or a pair, got {value!r}")
        return tuple(_args.integer(v, name, fn) for v in value)
    value = _args.integer(value, name, fn)
    return value, value


def _patch(kernel_size, patch_size, stride, padding, dilation, dilation_patch, fn):
    """The (patch_size, dilation_patch) of vidtemporal's correlation for these arguments."""
    for name, value, covered in (("kernel_size", kernel_size, (1, 1)), ("stride", stride, (1, 1)),
                                 ("padding", padding, (0, 0)), ("dilation", dilation, (1, 1))):
        if _pair(value, name, fn) != covered:
            raise error(ValueError, fn, name, f"{name}={value!r} is not supported; vidtemporal's correlation covers "
                                        f"{name}={covered[0]} (kernel_size=1, stride=1, padding=0, dilation=1)")
    (ph, pw), (dh, dw) = _pair(patch_size, "patch_size", fn), _pair(dilation_patch, "dilation_patch", fn)
    if ph != pw or dh != dw:
        raise error(ValueError, fn, "patch_size",
                    f"patch_size={patch_size!r}, dilation_patch={dilation_patch!r}: only square "
                    f"patches with one dilation are supported")
    if ph < 1 or ph % 2 == 0:
        raise error(ValueError, fn, "patch_size", f"patch_size={ph} must be odd (a patch centred on the pixel)")
    return ph, dh


def spatial_correlation_sample(input1, input2, kernel_size=1, patch_size=1, stride=1, padding=0, dilation=1,
                               dilation_patch=1):
    """``input1, input2 (B, C, H, W)`` -> ``(B, PH, PW, H, W)``:
    ``out[b, i, j, y, x] = Σ_c input1[b, c, y, x] * input2[b, c, y + (i - R) d, x + (j - R) d]``,
    with autograd, as spatial-correlation-sampler computes it for the covered arguments."""
    p, d = _patch(kernel_size, patch_size, stride, padding, dilation, dilation_patch, _FN)
    return correlation(input1, input2, p, d)


class SpatialCorrelationSampler(nn.Module):
    """spatial-correlation-sampler's module: the arguments are checked once, at construction."""

    def __init__(self, kernel_size=1, patch_size=1, stride=1, padding=0, dilation=1, dilation_patch=1):
        super().__init__()
        self.patch_size, self.dilation_patch = _patch(kernel_size, patch_size, stride, padding, dilation,
                                                      dilation_patch, "SpatialCorrelationSampler")

    def forward(self, input1, input2):
        return correlation(input1, input2, self.patch_size, self.dilation_patch)

    def extra_repr(self):
        return f"patch_size={self.patch_size}, dilation_patch={self.dilation_patch}"
