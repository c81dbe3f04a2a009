/// The tolerance table: one entry per op and dtype, relative to the magnitude of the compared
/// values. Pure data movement (temporal shift) has no entry: it is compared bit for bit.
public enum Tolerance {
    public enum DType { case float32, float64 }

    public static func of(_ op: String, _ dtype: DType) -> Double {
        switch (op, dtype) {
        // Inner products in the adjoint identity sum the same terms in different orders.
        case ("adjoint", .float64): 1e-12
        case ("adjoint", .float32): 1e-5
        default: fatalError("no tolerance for \(op)")
        }
    }
}
