/// Small vector kernels shared by the arithmetic ops, specialised for Float and Double.

/// The scalars the arithmetic kernels serve.
protocol KernelScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable, SendableMetatype {}
extension Float: KernelScalar {}
extension Double: KernelScalar {}

/// y[i] = c0 * x0[i] + c1 * x1[i], where a nil source counts as zeros.
func blend<T: KernelScalar>(_ y: UnsafeMutablePointer<T>, _ c0: T, _ x0: UnsafePointer<T>?,
                            _ c1: T, _ x1: UnsafePointer<T>?, count: Int) {
    switch (x0, x1) {
    case let (x0?, x1?):
        for i in 0..<count { y[i] = c0 * x0[i] + c1 * x1[i] }
    case let (x0?, nil):
        for i in 0..<count { y[i] = c0 * x0[i] }
    case let (nil, x1?):
        for i in 0..<count { y[i] = c1 * x1[i] }
    case (nil, nil):
        y.update(repeating: 0, count: count)
    }
}

/// The first element of every `lanes`-wide block of a row of `width` >= lanes elements; the last
/// block ends at the row's end, overlapping the one before when lanes does not divide width.
/// Computed, not stored.
struct LaneBlocks: RandomAccessCollection {
    let width: Int
    let lanes: Int

    var startIndex: Int { 0 }
    var endIndex: Int { (width + lanes - 1) / lanes }
    subscript(block: Int) -> Int { Swift.min(block * lanes, width - lanes) }
}

/// y[i] += a * x[i] (y[i] = a * x[i] when `add` is false), in vectors: y may alias nothing
/// the loop reads, which the compiler cannot know.
@inline(__always)
func scaledAdd<T: KernelScalar>(_ y: UnsafeMutablePointer<T>, _ a: T, _ x: UnsafePointer<T>, count: Int, add: Bool = true) {
    let scale = SIMD8<T>(repeating: a)
    var i = 0
    while i + 8 <= count {
        let product = scale * UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<T>.self)
        let value = add ? UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<T>.self) + product : product
        UnsafeMutableRawPointer(y + i).storeBytes(of: value, as: SIMD8<T>.self)
        i += 8
    }
    while i < count {
        y[i] = add ? y[i] + a * x[i] : a * x[i]
        i += 1
    }
}

/// y[i] += a[i] * b[i], in vectors (y may alias nothing the loop reads, which the compiler
/// cannot know).
@inline(__always)
func addProducts<T: KernelScalar>(_ y: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let product = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<T>.self)
            * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<T>.self)
        let value = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<T>.self) + product
        UnsafeMutableRawPointer(y + i).storeBytes(of: value, as: SIMD8<T>.self)
        i += 8
    }
    while i < count {
        y[i] += a[i] * b[i]
        i += 1
    }
}

/// Σ a[i] * b[i]. Each of 16 lanes accumulates in T over a chunk of 256 elements (16 products
/// per lane), then the chunk is flushed into a Double, so rounding errors do not grow with the
/// length of a whole feature map. The order depends only on `count`.
func dotProduct<T: KernelScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, count: Int) -> Double {
    var total = 0.0
    var i = 0
    while i + 16 <= count {
        var lanes0 = SIMD8<T>(), lanes1 = SIMD8<T>()
        let end = min(count, i + 256) - 15
        while i < end {
            lanes0 += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<T>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<T>.self)
            lanes1 += UnsafeRawPointer(a + i + 8).loadUnaligned(as: SIMD8<T>.self)
                * UnsafeRawPointer(b + i + 8).loadUnaligned(as: SIMD8<T>.self)
            i += 16
        }
        total += Double((lanes0 + lanes1).sum())
    }
    while i < count {
        total += Double(a[i]) * Double(b[i])
        i += 1
    }
    return total
}
