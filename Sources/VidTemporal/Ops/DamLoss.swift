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
            guard p[i] >= 0 && p[i] <= 1 else { throw .invalidArgument("p[\(i)] = \(p[i]) is not in [0, 1]", argument: "p") }
            guard labels[i] >= 0 && labels[i] <= 1 else {
                throw .invalidArgument("labels[\(i)] = \(labels[i]) is not in [0, 1]", argument: "labels")
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

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension DamLoss {
    private static func requireElements(_ p: Tensor) throws(VTError) {
        guard p.count > 0 else { throw .shapeMismatch("p has no elements: the mean of none is undefined", argument: "p") }
    }

    static func forward<T: KernelScalar>(_ a: DamLossForwardArguments, _: T.Type) throws(VTError) {
        try requireElements(a.p)
        try validate(a.p.pointer(T.self), a.labels.pointer(), count: a.p.count)
        a.loss.mutablePointer(T.self).pointee = forward(a.p.pointer(), a.labels.pointer(), count: a.p.count)
    }

    static func backward<T: KernelScalar>(_ a: DamLossBackwardArguments, _: T.Type) throws(VTError) {
        try requireElements(a.p)
        try validate(a.p.pointer(T.self), a.labels.pointer(), count: a.p.count)
        backward(a.grad.pointer(T.self).pointee, a.p.pointer(), a.labels.pointer(),
                 gradP: a.gradP?.mutablePointer(), gradLabels: a.gradLabels?.mutablePointer(), count: a.p.count)
    }
}
