#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// exp() over arrays, vectorised: softmax spends most of its time here, and libm's scalar expf
/// would dominate the attention kernels.

/// max over x[0..<count] (-inf for none), or NaN when any element is NaN or infinite (such a
/// softmax row has no finite answer: the caller fills it with NaN).
func maximum<T: KernelScalar>(_ x: UnsafePointer<T>, count: Int) -> T {
    if T.self == Float.self {
        return x.withMemoryRebound(to: Float.self, capacity: count) { x in
            var lanes = SIMD8<Float>(repeating: -.infinity)
            var poison = SIMD8<Float>()  // v * 0 is NaN exactly for NaN and infinite v
            var i = 0
            while i + 8 <= count {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                lanes = pointwiseMax(lanes, v)
                poison += v * 0
                i += 8
            }
            var result = lanes.max()
            var tail: Float = 0
            while i < count {
                result = Swift.max(result, x[i])
                tail += x[i] * 0
                i += 1
            }
            return (poison.sum() + tail).isNaN ? T.nan : T(result)
        }
    }
    var result = -T.infinity
    for i in 0..<count {
        guard x[i].isFinite else { return .nan }
        result = Swift.max(result, x[i])
    }
    return result
}

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
/// Relative error below 2e-7 for x in [-87.3, 88.37] (a test sweeps it); below -87.3 gives 0,
/// above 88.37 the largest finite Float. NaN inputs give unspecified values: callers check for
/// NaN first (`maximum`). Written with plain SIMD arithmetic, min/max and integer bit tricks,
/// which vectorise: the stdlib's SIMD rounding and float-to-int conversions are scalarised
/// (about 20x slower).
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

/// exp of eight lanes (the Cephes-style expf above).
@inline(__always)
func expVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    // Round to nearest by adding 1.5 * 2^23: the integer lands in the low mantissa bits.
    let magic = V(repeating: 12_582_912)
    // ln(Float.greatestFiniteMagnitude) above, the cut to zero below.
    let clamped = pointwiseMax(pointwiseMin(x, V(repeating: 88.376_26)), V(repeating: -87.3))
    let shifted = clamped * V(repeating: 1.442_695_04) + magic
    let n = shifted - magic
    let r = clamped - n * V(repeating: 0.693_359_375) - n * V(repeating: -2.121_944_4e-4)
    var p = V(repeating: 1.987_569_15e-4)
    p = p * r + V(repeating: 1.398_199_95e-3)
    p = p * r + V(repeating: 8.333_451_9e-3)
    p = p * r + V(repeating: 4.166_579_59e-2)
    p = p * r + V(repeating: 1.666_666_55e-1)
    p = p * r + V(repeating: 5.000_000_12e-1)
    let poly = p * r * r + r + V(repeating: 1)
    // 2^n: n sits in the low bits of `shifted`'s pattern (magic's pattern is 0x4B400000).
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
    let keep = unsafeBitCast(x .>= V(repeating: -87.3), to: SIMD8<Int32>.self)
    return unsafeBitCast(unsafeBitCast(poly * scale, to: SIMD8<Int32>.self) & keep, to: V.self)
}
