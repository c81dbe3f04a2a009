"""vidtemporal for PyTorch: autograd-enabled ops (same names as the numpy level, no ``_backward``)
and the papers' ``nn.Module``s. CPU tensors run on the Swift kernels; CUDA tensors raise."""
from .temporal_shift import TemporalShift, make_temporal_shift, temporal_shift, temporal_shift_

__all__ = ["TemporalShift", "make_temporal_shift", "temporal_shift", "temporal_shift_"]
