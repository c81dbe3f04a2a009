"""Cross-modality localisation (the AVE CML task: A2V, visual localisation from an audio query,
and V2A): score each segment of the other modality by σ(query_global · f_t), slide a window of
``length`` segments, return the start with the largest summed score (the first on ties)."""
from . import _args, _glue
from ._outputs import NUMPY


def cml_localize(query_global, other_local, length):
    """``query_global (D,)`` and ``other_local (T, D)`` -> the start (int); or batched,
    ``(N, D)`` and ``(N, T, D)`` -> ``(N,)`` int64 starts."""
    fn = "cml_localize"
    _args.array(query_global, "query_global", fn)
    _args.array(other_local, "other_local", fn)
    single = query_global.ndim == 1 and other_local.ndim == 2
    if single:
        query_global, other_local = query_global[None], other_local[None]
    (start,) = _glue.cml_localize(fn, NUMPY, query_global, other_local, _args.integer(length, "length", fn))
    return int(start[0]) if single else start
