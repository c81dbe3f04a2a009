/// The tolerance table: one entry per op and dtype, relative to the magnitude of the compared
/// values. Pure data movement (temporal shift) has no entry: it is compared bit for bit.
public enum Tolerance {
    public enum DType { case float32, float64 }

    public static func of(_ op: String, _ dtype: DType) -> Double {
        switch (op, dtype) {
        // Kernel vs the Double reference: a few roundings per element.
        case ("temporal_interlace", .float32): 1e-6
        case ("temporal_interlace", .float64): 1e-14
        // GEMM-based kernels vs Double loops.
        case ("gemm", .float32): 1e-5
        case ("gemm", .float64): 1e-12
        // Backward vs central differences of a piecewise-linear loss (step 1e-6).
        case ("finite_difference", .float64): 1e-7
        // Inner products in the adjoint identity sum the same terms in different orders.
        case ("adjoint", .float64): 1e-12
        case ("adjoint", .float32): 1e-5
        default: fatalError("no tolerance for \(op)")
        }
    }
}
