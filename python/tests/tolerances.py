"""The tolerance table: (op, dtype) -> (rtol, atol). (0, 0) means bit-exact (pure data movement)."""
import numpy as np

TOLERANCES = {
    ("temporal_shift", "float32"): (0.0, 0.0),
    ("temporal_shift", "float64"): (0.0, 0.0),
    # <F x, y> vs <x, F^T y>: the same products summed in different orders.
    ("adjoint", "float32"): (1e-5, 1e-5),
    ("adjoint", "float64"): (1e-12, 1e-12),
}


def tolerance(op, dtype):
    return TOLERANCES[(op, np.dtype(dtype).name)]
