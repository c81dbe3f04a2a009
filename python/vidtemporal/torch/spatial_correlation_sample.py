"""spatial-correlation-sampler's API, so code written for it runs with an import change:
``spatial_correlation_sample`` and ``SpatialCorrelationSampler`` with its signature, its whole
argument set (kernel_size, patch_size, stride, padding, dilation, dilation_patch, each an int or
a pair) and its output ``(B, PH, PW, OH, OW)``, with autograd (see
``vidtemporal.spatial_correlation_sample`` for the definition). kernel_size=1, stride=1,
padding=0 with an odd square patch runs the correlation's register-tiled kernels."""
from torch import nn

from ..spatial_correlation_sample import scalars
from ._custom_ops import run
from ._tensors import require_tensor


def spatial_correlation_sample(input1, input2, kernel_size=1, patch_size=1, stride=1, padding=0, dilation=1,
                               dilation_patch=1):
    """``input1, input2 (B, C, H, W)`` -> ``(B, PH, PW, OH, OW)``:
    ``out[b, p, q, h, w] = Σ_c Σ_{i,j} input1[b, c, y, x] * input2[b, c, y + su, x + sv]`` over the
    window's taps ``y = h*stride - padding + i*dilation`` (x alike), displaced by
    ``su = (p - (PH-1)//2) * dilation_patch``, as spatial-correlation-sampler computes it."""
    fn = "spatial_correlation_sample"
    require_tensor(input1, "input1", fn)
    require_tensor(input2, "input2", fn)
    arguments = scalars(fn, kernel_size, patch_size, stride, padding, dilation, dilation_patch)
    return run(fn, "spatial_correlation_sample_forward", input1.contiguous(), input2.contiguous(), *arguments)


class SpatialCorrelationSampler(nn.Module):
    """spatial-correlation-sampler's module: the arguments are checked once, at construction."""

    def __init__(self, kernel_size=1, patch_size=1, stride=1, padding=0, dilation=1, dilation_patch=1):
        super().__init__()
        scalars("SpatialCorrelationSampler", kernel_size, patch_size, stride, padding, dilation, dilation_patch)
        self.kernel_size, self.patch_size, self.stride = kernel_size, patch_size, stride
        self.padding, self.dilation, self.dilation_patch = padding, dilation, dilation_patch

    def forward(self, input1, input2):
        return spatial_correlation_sample(input1, input2, self.kernel_size, self.patch_size, self.stride,
                                          self.padding, self.dilation, self.dilation_patch)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, patch_size={self.patch_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, dilation_patch={self.dilation_patch}")
