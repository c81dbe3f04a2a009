"""vidtemporal: fast CPU kernels, forward and backward, for the temporal modules of video networks.

This level takes and returns numpy arrays and needs no torch; ``vidtemporal.torch`` adds autograd
functions and ``nn.Module``s. Video tensors use the 2D-backbone layout ``(N*T, C, H, W)`` (row
``n*T + t`` is frame t of clip n), float32, float64 or float16, C-contiguous (the data-movement
ops and the interlace also take channels_last, NHWC memory viewed as NCHW). Bad input raises a
ValueError or TypeError (``UnsupportedError``, both, for a dtype or layout an op does not take)
whose ``function``, ``argument`` and ``detail`` attributes say what went wrong, and where.
"""
from . import _C
from ._C import UnsupportedError
from . import _args, _blas, _errors
from ._blas import blas_info
from .cml_localize import cml_localize
from .correlation import correlation, correlation_backward
from .spatial_correlation_sample import spatial_correlation_sample, spatial_correlation_sample_backward
from .kernel_soft_argmax import kernel_soft_argmax, kernel_soft_argmax_backward
from .motion_squeeze import motion_squeeze, motion_squeeze_backward
from .dam_loss import dam_loss, dam_loss_backward
from .dual_attention_matching import dual_attention_matching, dual_attention_matching_backward
from .global_temporal_attention import global_temporal_attention, global_temporal_attention_backward
from .region_pool import region_pool, region_pool_backward
from .region_unpool import region_unpool, region_unpool_backward
from .spatial_attention import spatial_attention, spatial_attention_backward
from .temporal_interlace import temporal_interlace, temporal_interlace_backward
from .temporal_shift import TemporalShiftStream, temporal_shift, temporal_shift_, temporal_shift_backward

__version__ = _C.version()
_blas.warn_if_generic()


def set_num_threads(n):
    """Threads each call may use; 0 means one per CPU (both capped at 1024). Results do not
    depend on it."""
    fn = "set_num_threads"
    _errors.checked(fn, _C.set_num_threads, _args.integer(n, "n", fn, (-2 ** 31, 2 ** 31 - 1)))


def get_num_threads():
    return _C.get_num_threads()


def cpu_dispatch():
    """The kernel build that runs on this CPU, the best it can run: "x86-64-v4" (AVX-512),
    "x86-64-v3" (AVX2, FMA, F16C) or "x86-64" (any x86-64 CPU), chosen when the library loads;
    the environment variable VT_CPU (baseline, x86-64-v3, x86-64-v4), set before the import, caps
    it."""
    return _C.cpu_dispatch()


def get_include():
    """The directory of vidtemporal.h (and the <dlpack/dlpack.h> it includes), for C programs."""
    import os
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")


def get_lib():
    """The directory of libvidtemporal.so (link with -L<it> -lvidtemporal -Wl,-rpath,<it>)."""
    import os
    return os.path.dirname(os.path.abspath(__file__))


__all__ = [
    "cpu_dispatch", "blas_info",
    "TemporalShiftStream", "temporal_shift", "temporal_shift_", "temporal_shift_backward",
    "temporal_interlace", "temporal_interlace_backward",
    "global_temporal_attention", "global_temporal_attention_backward", "region_pool", "region_pool_backward",
    "region_unpool", "region_unpool_backward", "spatial_attention", "spatial_attention_backward",
    "correlation", "correlation_backward", "spatial_correlation_sample", "spatial_correlation_sample_backward",
    "kernel_soft_argmax", "kernel_soft_argmax_backward",
    "motion_squeeze", "motion_squeeze_backward",
    "dual_attention_matching", "dual_attention_matching_backward", "dam_loss", "dam_loss_backward", "cml_localize",
    "set_num_threads", "get_num_threads", "UnsupportedError", "__version__",
]
