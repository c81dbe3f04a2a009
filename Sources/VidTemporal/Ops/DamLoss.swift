#if canImport(Glibc)
import Glibc
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
