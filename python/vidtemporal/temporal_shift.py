"""Temporal shift (TSM, Lin et al. ICCV 2019) on numpy arrays.

``fold = C // fold_div``. ``mode="bidirectional"`` (offline, the official code's direction):
channels ``[0, fold)`` take the next frame, ``[fold, 2*fold)`` the previous one, the rest are
copied. ``mode="unidirectional"`` (online TSM): channels ``[0, fold)`` take the previous frame.
Frames outside the clip are zeros.
"""
import threading

from . import _C, _args

MODES = {"bidirectional": 0, "unidirectional": 1}


def _call(fn, data, name, num_segments, fold_div, mode, adjoint):
    num_segments = _args.integer(num_segments, "num_segments", fn)
    fold_div = _args.integer(fold_div, "fold_div", fn)
    mode = _args.choice(mode, "mode", fn, MODES)
    out = _args.empty_like(data, name, fn)
    _C.temporal_shift(data, out, num_segments, fold_div, mode, adjoint)
    return out


def temporal_shift(x, num_segments, fold_div=8, mode="bidirectional"):
    """Shift ``x (N*T, C, H, W)`` along time; returns a new array."""
    return _call("temporal_shift", x, "x", num_segments, fold_div, mode, False)


def temporal_shift_backward(grad, x, num_segments, fold_div=8, mode="bidirectional"):
    """Gradient of ``temporal_shift`` with respect to x: the reverse shift of ``grad`` with zero
    fill. ``x`` is the forward's input; the shift is linear, so only its shape and dtype are used."""
    fn = "temporal_shift_backward"
    _args.same_layout(x, "x", _args.array(grad, "grad", fn), "grad", fn)
    return _call(fn, grad, "grad", num_segments, fold_div, mode, True)


def temporal_shift_(x, num_segments, fold_div=8, mode="bidirectional"):
    """``temporal_shift`` written into ``x`` itself, moving only the shifted channels; returns x.
    Bit-identical to the out-of-place op."""
    fn = "temporal_shift_"
    _C.temporal_shift_inplace(x, _args.integer(num_segments, "num_segments", fn),
                              _args.integer(fold_div, "fold_div", fn), _args.choice(mode, "mode", fn, MODES))
    return x


class TemporalShiftStream:
    """Online temporal shift for live video, one frame at a time.

    ``step(frame)`` takes the current frame ``(N, C, H, W)`` and returns it with channels
    ``[0, fold)`` replaced by the previous frame's (zeros for the first frame). Stepping through a
    clip equals ``temporal_shift(clip, T, fold_div, mode="unidirectional")`` exactly. The first
    frame fixes the shape and dtype; ``reset()`` starts a new clip. Safe to share between threads
    (steps are serialised).
    """

    def __init__(self, fold_div=8):
        fold_div = _args.integer(fold_div, "fold_div", "TemporalShiftStream")
        if fold_div < 1:
            raise ValueError(f"TemporalShiftStream: fold_div={fold_div} must be >= 1")
        self.fold_div = fold_div
        self._state = None
        # The kernel runs without the GIL and a state must not be used by two calls at once.
        self._lock = threading.Lock()

    def step(self, frame, out=None):
        """Returns the shifted frame, written into ``out`` (same shape and dtype) if given."""
        fn = "TemporalShiftStream.step"
        if out is None:
            out = _args.empty_like(frame, "frame", fn)
        with self._lock:
            if self._state is None:
                self._state = _C.temporal_shift_stream_create(frame, self.fold_div)
            _C.temporal_shift_stream_step(self._state, frame, out)
        return out

    def reset(self):
        with self._lock:
            if self._state is not None:
                _C.temporal_shift_stream_reset(self._state)
