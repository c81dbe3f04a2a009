#if canImport(Glibc)
import Glibc
#endif

/// exp() over arrays, vectorised: softmax spends most of its time here, and libm's scalar expf
/// would dominate the attention kernels.

/// y[i] = exp(x[i] - shift), returning the sum of the y[i] (accumulated in Double).
func exponentiate<T: KernelScalar>(_ x: UnsafePointer<T>, minus shift: T, into y: UnsafeMutablePointer<T>,
                                   count: Int) -> Double {
    if T.self == Float.self {
        return x.withMemoryRebound(to: Float.self, capacity: count) { x in
            y.withMemoryRebound(to: Float.self, capacity: count) { y in
                exponentiateFloat(x, minus: Float(shift), into: y, count: count)
            }
        }
    }
    var sum = 0.0
    for i in 0..<count {
        let e = T(exp(Double(x[i] - shift)))
        y[i] = e
        sum += Double(e)
    }
    return sum
}

/// Cephes-style expf: exp(x) = 2^n * exp(r), |r| <= ln2 / 2, exp(r) by a degree-6 polynomial.
/// Relative error below 2e-7 over the whole range; inputs below -87.3 give 0.
private func exponentiateFloat(_ x: UnsafePointer<Float>, minus shift: Float, into y: UnsafeMutablePointer<Float>,
                               count: Int) -> Double {
    typealias V = SIMD8<Float>
    var i = 0
    var total = 0.0
    var lanes = V()
    while i + 8 <= count {
        let e = expVector(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - V(repeating: shift))
        UnsafeMutableRawPointer(y + i).storeBytes(of: e, as: V.self)
        lanes += e
        i += 8
        if i % 1024 == 0 {  // keep the Float lanes short, like dotProduct
            total += Double(lanes.sum())
            lanes = V()
        }
    }
    total += Double(lanes.sum())
    while i < count {
        var tail = V(repeating: -.infinity)
        tail[0] = x[i] - shift
        y[i] = expVector(tail)[0]
        total += Double(y[i])
        i += 1
    }
    return total
}

@inline(__always)
private func expVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let underflow = x .< V(repeating: -87.3)
    let clamped = x.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88.7))
    let n = (clamped * V(repeating: 1.442_695_04)).rounded(.toNearestOrEven)
    let r = clamped - n * V(repeating: 0.693_359_375) - n * V(repeating: -2.121_944_4e-4)
    var p = V(repeating: 1.987_569_15e-4)
    p = p * r + V(repeating: 1.398_199_95e-3)
    p = p * r + V(repeating: 8.333_451_9e-3)
    p = p * r + V(repeating: 4.166_579_59e-2)
    p = p * r + V(repeating: 1.666_666_55e-1)
    p = p * r + V(repeating: 5.000_000_12e-1)
    let poly = p * r * r + r + V(repeating: 1)
    let exponent = (SIMD8<Int32>(n, rounding: .towardZero) &+ 127) &<< 23
    let scale = unsafeBitCast(exponent, to: V.self)
    return (poly * scale).replacing(with: 0, where: underflow)
}
