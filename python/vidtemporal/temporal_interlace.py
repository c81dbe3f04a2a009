"""Temporal interlace (TIN, Shao et al. AAAI 2020) on numpy arrays.

The first ``F = C // shift_div`` channels are split into ``2G`` equal parts (``G`` =
``offsets.shape[1]``). Part ``q`` is shifted in time by ``s = offsets[n, q % G]`` (``q < G``) or
``-offsets[n, q % G]`` (the reversed parts), sampled by linear interpolation between the two
nearest integer shifts, and scaled by ``weights[n, t, q % G]``::

    y[n,t,c] = weights[n,t,g] * ((1-a) * x[n,t-k,c] + a * x[n,t-k-1,c]),  k = floor(s), a = s - k

with zeros outside the clip (a positive offset samples from the past). Channels ``[F, C)`` are
copied.
"""
from . import _args, _glue
from ._outputs import NUMPY


def _scalars(fn, num_segments, shift_div):
    return _args.integer(num_segments, "num_segments", fn), _args.integer(shift_div, "shift_div", fn)


def temporal_interlace(x, offsets, weights, num_segments, shift_div=4, groups=None):
    """``x (N*T, C, H, W)``, ``offsets (N, G)``, ``weights (N, T, G)`` -> ``y (N*T, C, H, W)``.
    ``groups`` defaults to ``offsets.shape[1]``; when given it must match."""
    fn = "temporal_interlace"
    _args.groups_match(groups, _args.array(offsets, "offsets", fn).shape, fn)
    return _glue.temporal_interlace_forward(fn, NUMPY, x, offsets, weights,
                                            *_scalars(fn, num_segments, shift_div))[0]


def temporal_interlace_backward(grad, x, offsets, weights, num_segments, shift_div=4, groups=None):
    """Gradients ``(grad_x, grad_offsets, grad_weights)`` of ``temporal_interlace``. The offset
    gradient treats floor() as a constant: at an integer shift it is the right-sided derivative
    in the shift (left-sided in the offset for the reversed parts)."""
    fn = "temporal_interlace_backward"
    _args.groups_match(groups, _args.array(offsets, "offsets", fn).shape, fn)
    return _glue.temporal_interlace_backward(fn, NUMPY, grad, x, offsets, weights,
                                             *_scalars(fn, num_segments, shift_div))
