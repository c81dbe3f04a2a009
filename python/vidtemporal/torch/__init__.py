"""vidtemporal for PyTorch: autograd-enabled ops (same names as the numpy level, no ``_backward``)
and the papers' ``nn.Module``s. CPU tensors run on the Swift kernels; CUDA tensors raise."""
from .temporal_interlace import (OffsetNet, TemporalInterlace, WeightNet, convert_tin_state_dict,
                                 make_temporal_interlace, temporal_interlace)
from .temporal_shift import TemporalShift, make_temporal_shift, temporal_shift, temporal_shift_

__all__ = [
    "TemporalShift", "make_temporal_shift", "temporal_shift", "temporal_shift_",
    "TemporalInterlace", "OffsetNet", "WeightNet", "make_temporal_interlace", "temporal_interlace",
    "convert_tin_state_dict",
]
