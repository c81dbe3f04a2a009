"""Region pooling for PyTorch, with autograd for x and the assignment."""
from ._ops import run
from ._tensors import require_cpu


def region_pool(x, assign, normalize=True):
    """``x (B, C, S)``, ``assign (B, K, S)`` -> ``(B, C, K)`` (see ``vidtemporal.region_pool``)."""
    require_cpu(x, "x", "region_pool")
    require_cpu(assign, "assign", "region_pool")
    return run("region_pool", "region_pool_forward", x.contiguous(), assign.contiguous(), bool(normalize))
