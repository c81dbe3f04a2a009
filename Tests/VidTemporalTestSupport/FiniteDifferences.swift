/// Finite differences in Double, the gradient oracle that needs no model of the op.
public enum FiniteDifference {
    /// (f(v + h e_i) - f(v - h e_i)) / 2h.
    public static func central(_ f: ([Double]) -> Double, at v: [Double], index: Int, step: Double = 1e-6) -> Double {
        var plus = v, minus = v
        plus[index] += step
        minus[index] -= step
        return (f(plus) - f(minus)) / (2 * step)
    }

    /// (f(v + h e_i) - f(v)) / h, or the left-sided (f(v) - f(v - h e_i)) / h: the one-sided
    /// derivatives at a kink.
    public static func oneSided(_ f: ([Double]) -> Double, at v: [Double], index: Int, right: Bool,
                                step: Double = 1e-6) -> Double {
        var moved = v
        moved[index] += right ? step : -step
        return (right ? f(moved) - f(v) : f(v) - f(moved)) / step
    }
}
