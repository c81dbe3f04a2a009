"""Temporal shift (TSM, Lin et al. ICCV 2019) on numpy arrays.

``fold = C // fold_div``. ``mode="bidirectional"`` (offline, the official code's direction):
channels ``[0, fold)`` take the next frame, ``[fold, 2*fold)`` the previous one, the rest are
copied. ``mode="unidirectional"`` (online TSM): channels ``[0, fold)`` take the previous frame.
Frames outside the clip are zeros.
"""
import threading

import numpy as np

from . import _C, _args, _errors, _glue
from ._errors import error
from ._outputs import NUMPY

MODES = {"bidirectional": 0, "unidirectional": 1}


def params(fn, num_segments, fold_div, mode):
    """The scalars of every shift function, checked: (num_segments, fold_div, mode code)."""
    return (_args.integer(num_segments, "num_segments", fn), _args.integer(fold_div, "fold_div", fn),
            _args.choice(mode, "mode", fn, MODES))


def temporal_shift(x, num_segments, fold_div=8, mode="bidirectional"):
    """Shift ``x (N*T, C, H, W)`` along time; returns a new array."""
    fn = "temporal_shift"
    return _glue.temporal_shift_forward(fn, NUMPY, x, *params(fn, num_segments, fold_div, mode))[0]


def temporal_shift_backward(grad, x, num_segments, fold_div=8, mode="bidirectional"):
    """Gradient of ``temporal_shift`` with respect to x: the reverse shift of ``grad`` with zero
    fill. ``x`` is the forward's input; the shift is linear, so only its shape and dtype are used."""
    fn = "temporal_shift_backward"
    _args.same_layout(x, "x", _args.array(grad, "grad", fn), "grad", fn)
    return _glue.temporal_shift_backward(fn, NUMPY, grad, *params(fn, num_segments, fold_div, mode))[0]


def temporal_shift_(x, num_segments, fold_div=8, mode="bidirectional"):
    """``temporal_shift`` written into ``x`` itself, moving only the shifted channels; returns x.
    Bit-identical to the out-of-place op."""
    fn = "temporal_shift_"
    _glue.temporal_shift_inplace_forward(fn, NUMPY, _args.array(x, "x", fn), *params(fn, num_segments, fold_div, mode))
    return x


class TemporalShiftStream:
    """Online temporal shift for live video, one frame at a time.

    ``step(frame)`` takes the current frame ``(N, C, H, W)`` and returns it with channels
    ``[0, fold)`` replaced by the previous frame's (zeros for the first frame). Stepping through a
    clip equals ``temporal_shift(clip, T, fold_div, mode="unidirectional")`` exactly. Frames may be
    row-major or channels_last (read natively; the output keeps the frame's format). The first
    frame fixes the shape and dtype; ``reset()`` starts a new clip. Safe to share between threads
    (steps are serialised).
    """

    def __init__(self, fold_div=8):
        fold_div = _args.integer(fold_div, "fold_div", "TemporalShiftStream")
        if fold_div < 1:
            raise error(ValueError, "TemporalShiftStream", "fold_div", f"fold_div={fold_div} must be >= 1")
        self.fold_div = fold_div
        self._state = None
        # The kernel runs without the GIL and a state must not be used by two calls at once.
        self._lock = threading.Lock()

    def _empty_like(self, frame, fn):
        """An output for frame in its memory format (numpy here; the torch stream makes tensors)."""
        frame = _args.array(frame, "frame", fn)
        return NUMPY(frame.shape, frame, False)

    def step(self, frame, out=None):
        """Returns the shifted frame, written into ``out`` (same shape and dtype) if given."""
        fn = "TemporalShiftStream.step"
        if out is None:
            out = self._empty_like(frame, fn)
        with self._lock:
            if self._state is None:
                self._state = _errors.checked(fn, _C.temporal_shift_stream_create, frame, self.fold_div)
            _errors.checked(fn, _C.temporal_shift_stream_step, self._state, frame, out)
        return out

    def reset(self):
        with self._lock:
            if self._state is not None:
                _C.temporal_shift_stream_reset(self._state)
