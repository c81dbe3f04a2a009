"""vidtemporal for PyTorch: autograd-enabled ops (same names as the numpy level, no ``_backward``)
and the papers' ``nn.Module``s. CPU tensors run on the Swift kernels; tensors on any other device
run the same ops in plain torch (``vidtemporal.torch.portable``).

It needs torch 2.4 or newer (``torch.library.custom_op`` and ``register_fake``)."""
import torch

from ._versions import ONNX_EXPORT_FLOOR, TORCH_FLOOR

if not (hasattr(torch.library, "custom_op") and hasattr(torch.library, "register_fake")):
    raise ImportError(f"vidtemporal.torch needs torch {TORCH_FLOOR} or newer (torch.library.custom_op and "
                      f"register_fake); this is torch {torch.__version__}: pip install 'torch>={TORCH_FLOOR}'")

from .correlation import correlation
from .kernel_soft_argmax import kernel_soft_argmax
from .motion_squeeze import MotionSqueeze, motion_squeeze
from .dual_attention_matching import DualAttentionMatching, cml_localize, dam_loss, dual_attention_matching
from .global_temporal_attention import GlobalTemporalAttention, global_temporal_attention
from .region_pool import region_pool
from .region_unpool import region_unpool
from .spatial_attention import spatial_attention
from .spatial_correlation_sample import SpatialCorrelationSampler, spatial_correlation_sample
from .temporal_interlace import (OffsetNet, TemporalInterlace, WeightNet, convert_tin_state_dict,
                                 make_temporal_interlace, temporal_interlace)
from .temporal_shift import TemporalShift, TemporalShiftStream, make_temporal_shift, temporal_shift, temporal_shift_
from .tin_shift import tin_shift
from .online import OnlineModel, OnlineTemporalShift, to_online  # noqa: E402

__all__ = [
    "TemporalShift", "TemporalShiftStream", "make_temporal_shift", "temporal_shift", "temporal_shift_",
    "TemporalInterlace", "OffsetNet", "WeightNet", "make_temporal_interlace", "temporal_interlace",
    "convert_tin_state_dict",
    "GlobalTemporalAttention", "global_temporal_attention", "region_pool", "region_unpool", "spatial_attention",
    "DualAttentionMatching", "dual_attention_matching", "dam_loss", "cml_localize", "correlation",
    "kernel_soft_argmax", "MotionSqueeze", "motion_squeeze",
    "SpatialCorrelationSampler", "spatial_correlation_sample", "tin_shift",
    "to_online", "OnlineModel", "OnlineTemporalShift", "TORCH_FLOOR", "ONNX_EXPORT_FLOOR",
]
