"""Region pooling for PyTorch, with autograd for x and the assignment."""
from .. import _args
from ._custom_ops import run
from ._tensors import require_tensor


def region_pool(x, assign, normalize=True):
    """``x (B, C, S)``, ``assign (B, K, S)`` -> ``(B, C, K)`` (see ``vidtemporal.region_pool``)."""
    fn = "region_pool"
    require_tensor(x, "x", fn)
    require_tensor(assign, "assign", fn)
    return run(fn, "region_pool_forward", x.contiguous(), assign.contiguous(), _args.flag(normalize, "normalize", fn))
