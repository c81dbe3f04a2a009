"""vidtemporal for PyTorch: autograd-enabled ops (same names as the numpy level, no ``_backward``)
and the papers' ``nn.Module``s. CPU tensors run on the Swift kernels; tensors on any other device
run the same ops in plain torch (``vidtemporal.torch.portable``)."""
from .correlation import correlation
from .kernel_soft_argmax import kernel_soft_argmax
from .motion_squeeze import MotionSqueeze, motion_squeeze
from .dual_attention_matching import DualAttentionMatching, cml_localize, dam_loss, dual_attention_matching
from .global_temporal_attention import GlobalTemporalAttention, global_temporal_attention
from .region_pool import region_pool
from .region_unpool import region_unpool
from .spatial_attention import spatial_attention
from .spatial_correlation_sampler import SpatialCorrelationSampler, spatial_correlation_sample
from .temporal_interlace import (OffsetNet, TemporalInterlace, WeightNet, convert_tin_state_dict,
                                 make_temporal_interlace, temporal_interlace)
from .temporal_shift import TemporalShift, TemporalShiftStream, make_temporal_shift, temporal_shift, temporal_shift_
from .tin_shift import tin_shift
from .online import OnlineModel, OnlineTemporalShift, to_online

__all__ = [
    "TemporalShift", "TemporalShiftStream", "make_temporal_shift", "temporal_shift", "temporal_shift_",
    "TemporalInterlace", "OffsetNet", "WeightNet", "make_temporal_interlace", "temporal_interlace",
    "convert_tin_state_dict",
    "GlobalTemporalAttention", "global_temporal_attention", "region_pool", "region_unpool", "spatial_attention",
    "DualAttentionMatching", "dual_attention_matching", "dam_loss", "cml_localize", "correlation",
    "kernel_soft_argmax", "MotionSqueeze", "motion_squeeze",
    "SpatialCorrelationSampler", "spatial_correlation_sample", "tin_shift",
    "to_online", "OnlineModel", "OnlineTemporalShift",
]
