#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The DAM training loss: mean binary cross-entropy of the event relevance p against labels,
/// safe at p = 0 and p = 1 the way torch's BCELoss is: each log is clamped at -100, and the
/// gradient divides by max(p (1 - p), 1e-12).
enum DamLoss {
    static func validate<T: KernelScalar>(_ p: UnsafePointer<T>, _ labels: UnsafePointer<T>,
                                          count: Int) throws(VTError) {
        for i in 0..<count {
            guard p[i] >= 0 && p[i] <= 1 else { throw .invalidArgument("p[\(i)] = \(p[i]) is not in [0, 1]") }
            guard labels[i] >= 0 && labels[i] <= 1 else {
                throw .invalidArgument("labels[\(i)] = \(labels[i]) is not in [0, 1]")
            }
        }
    }

    private static func clampedLog(_ x: Double) -> Double { max(log(x), -100) }

    static func forward<T: KernelScalar>(_ p: UnsafePointer<T>, _ labels: UnsafePointer<T>, count: Int) -> T {
        var sum = 0.0
        for i in 0..<count {
            let (q, y) = (Double(p[i]), Double(labels[i]))
            sum -= y * clampedLog(q) + (1 - y) * clampedLog(1 - q)
        }
        return T(sum / Double(count))
    }

    static func backward<T: KernelScalar>(_ gradLoss: T, _ p: UnsafePointer<T>, _ labels: UnsafePointer<T>,
                                          gradP: UnsafeMutablePointer<T>?, gradLabels: UnsafeMutablePointer<T>?,
                                          count: Int) {
        let scale = Double(gradLoss) / Double(count)
        for i in 0..<count {
            let (q, y) = (Double(p[i]), Double(labels[i]))
            gradP?[i] = T(scale * (q - y) / max(q * (1 - q), 1e-12))
            gradLabels?[i] = T(scale * (clampedLog(1 - q) - clampedLog(q)))
        }
    }
}

// MARK: The exported functions (their tensors are checked against the op table)

extension DamLoss {
    static func forward(_ a: DamLossForwardArguments) throws(VTError) {
        switch a.dtype {
        case .float32: try forward(a, Float.self)
        case .float64: try forward(a, Double.self)
        default: throw .internalError("no \(a.dtype.name) kernel: the call reaches it in float32")
        }
    }

    static func backward(_ a: DamLossBackwardArguments) throws(VTError) {
        switch a.dtype {
        case .float32: try backward(a, Float.self)
        case .float64: try backward(a, Double.self)
        default: throw .internalError("no \(a.dtype.name) kernel: the call reaches it in float32")
        }
    }

    private static func requireElements(_ p: Tensor) throws(VTError) {
        guard p.count > 0 else { throw .shapeMismatch("p has no elements: the mean of none is undefined") }
    }

    private static func forward<T: KernelScalar>(_ a: DamLossForwardArguments, _: T.Type) throws(VTError) {
        try requireElements(a.p)
        try validate(a.p.pointer(T.self), a.labels.pointer(), count: a.p.count)
        a.loss.mutablePointer(T.self).pointee = forward(a.p.pointer(), a.labels.pointer(), count: a.p.count)
    }

    private static func backward<T: KernelScalar>(_ a: DamLossBackwardArguments, _: T.Type) throws(VTError) {
        try requireElements(a.p)
        try validate(a.p.pointer(T.self), a.labels.pointer(), count: a.p.count)
        backward(a.gradLoss.pointer(T.self).pointee, a.p.pointer(), a.labels.pointer(),
                 gradP: a.gradP?.mutablePointer(), gradLabels: a.gradLabels?.mutablePointer(), count: a.p.count)
    }
}
