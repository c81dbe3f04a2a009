"""Region unpooling for PyTorch, with autograd for the region features and the assignment."""
from ._custom_ops import run
from ._tensors import require_tensor


def region_unpool(r, assign):
    """``r (B, C, K)``, ``assign (B, K, S)`` -> ``(B, C, S)`` (see ``vidtemporal.region_unpool``)."""
    require_tensor(r, "r", "region_unpool")
    require_tensor(assign, "assign", "region_unpool")
    return run("region_unpool", "region_unpool_forward", r.contiguous(), assign.contiguous())
