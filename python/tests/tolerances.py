"""The tolerance table: (op, dtype) -> (rtol, atol). Pure data movement (temporal shift) has no
entry: it is compared bit for bit."""
import numpy as np

TOLERANCES = {
    # Kernel vs the slicing reference: the same terms, a few roundings apart.
    ("temporal_interlace", "float32"): (1e-5, 1e-6),
    ("temporal_interlace", "float64"): (1e-12, 1e-13),
    # Parameter gradients sum over N*T*C*H*W products: in float32 the reference accumulates in
    # float32, the kernel in float64.
    ("temporal_interlace_params", "float32"): (1e-4, 1e-4),
    ("temporal_interlace_params", "float64"): (1e-10, 1e-10),
    # GEMM-based kernels (GTA family) vs einsum references: sums of up to a few thousand products.
    ("gemm", "float32"): (1e-4, 1e-5),
    ("gemm", "float64"): (1e-10, 1e-12),
    # DAM vs the masked-attention reference: small GEMMs and a softmax per clip.
    ("dual_attention_matching", "float32"): (1e-4, 1e-5),
    ("dual_attention_matching", "float64"): (1e-10, 1e-12),
    # Soft-argmax vs the reference: a softmax of temperature-scaled logits per pixel; float32
    # gradients scale with the temperature, so atol is relative to the largest gradient.
    ("kernel_soft_argmax", "float32"): (1e-4, 1e-5),
    ("kernel_soft_argmax", "float64"): (1e-10, 1e-12),
    # The Swift kernels vs the plain-torch implementation other devices run: the same math,
    # summed in other orders (float32 kernels accumulate in float64 or float32 blocks).
    ("portable", "float32"): (1e-4, 1e-5),
    ("portable", "float64"): (1e-10, 1e-12),
    # Whole networks (convolutions around the ops, up to a ResNet-50) run by another runtime
    # (onnxruntime) or at another batch shape (one frame per step): every convolution sums in its
    # own order, the differences grow through the layers, and softmaxes at temperature 100 (MS)
    # multiply them. The atol is relative to the largest output (network_close below).
    ("network", "float32"): (1e-3, 1e-3),
    # <F x, y> vs <x, F^T y>: the same products summed in different orders.
    ("adjoint", "float32"): (1e-5, 1e-5),
    ("adjoint", "float64"): (1e-12, 1e-12),
}


def tolerance(op, dtype):
    return TOLERANCES[(op, np.dtype(dtype).name)]


def network_close(got, want, dtype="float32"):
    """Whole-network outputs: |got - want| <= atol * max|want| + rtol * |want|."""
    rtol, atol = tolerance("network", dtype)
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * max(np.abs(want).max(), 1e-30))
