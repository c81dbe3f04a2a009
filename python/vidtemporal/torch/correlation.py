"""Local correlation for PyTorch, with autograd for both feature maps."""
from .. import _args
from ._custom_ops import run
from ._tensors import require_tensor


def correlation(f1, f2, patch_size=15, dilation_patch=1):
    """``f1, f2 (B, C, H, W)`` -> ``(B, P, P, H, W)`` with autograd (see ``vidtemporal.correlation``);
    a drop-in for spatial-correlation-sampler with kernel_size=1, stride=1, padding=0."""
    fn = "correlation"
    require_tensor(f1, "f1", fn)
    require_tensor(f2, "f2", fn)
    return run(fn, "correlation_forward", f1.contiguous(), f2.contiguous(), _args.integer(patch_size, "patch_size", fn),
               _args.integer(dilation_patch, "dilation_patch", fn))
