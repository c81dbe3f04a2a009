"""The tolerance table: (op, dtype) -> (rtol, atol). Pure data movement (temporal shift) has no
entry: it is compared bit for bit."""
import numpy as np

TOLERANCES = {
    # <F x, y> vs <x, F^T y>: the same products summed in different orders.
    ("adjoint", "float32"): (1e-5, 1e-5),
    ("adjoint", "float64"): (1e-12, 1e-12),
}


def tolerance(op, dtype):
    return TOLERANCES[(op, np.dtype(dtype).name)]
