/// float16 and bfloat16 calls of compute ops: the kernels load the half-precision tensors as
/// float32, compute (accumulating in float32 or wider, as for float32 calls) and store the results
/// in the call's dtype, rounded to nearest even.
extension Signature {
    /// Runs body on `call` itself, or, for a float16 or bfloat16 call, on a float32 copy of it
    /// (HalfPrecision.withFloat32Copies of its floating tensors).
    func inFloat32(_ call: Binding<tensorCount, symbolCount>,
                   _ body: (Binding<tensorCount, symbolCount>) throws(VTError) -> Void) throws(VTError) {
        guard call.dtype == .float16 || call.dtype == .bfloat16 else { return try body(call) }
        let present = (0..<tensorCount).filter { !tensors[$0].index && call.tensors[$0] != nil }
        try HalfPrecision.withFloat32Copies(present.map { call.tensors[$0]! },
                                            outputs: present.map { tensors[$0].role != .input },
                                            inputs: present.map { tensors[$0].role != .output }) { (copies) throws(VTError) in
            var widened = call
            widened.dtype = .float32
            for (i, copy) in zip(present, copies) { widened.tensors[i] = copy }
            try body(widened)
        }
    }
}

enum HalfPrecision {
    /// Runs body with float32 copies of half-precision tensors in checked scratch: the inputs
    /// converted in, the outputs converted back only after body succeeds, so a failed call writes
    /// nothing. (A tensor can be both, as an in-out one.)
    static func withFloat32Copies(_ tensors: [Tensor], outputs: [Bool], inputs: [Bool],
                                  _ body: ([Tensor]) throws(VTError) -> Void) throws(VTError) {
        var total = 0
        for tensor in tensors {
            let (sum, overflow) = total.addingReportingOverflow(tensor.count)
            guard !overflow else { throw .allocation("the float32 copies of the call's tensors overflow") }
            total = sum
        }
        try withScratch(total, of: Float.self) { (scratch) throws(VTError) in
            // Fresh scratch of this size is untouched mmap memory: fault it in 2 MiB pages.
            adviseHugePages(UnsafeMutableRawPointer(scratch), bytes: total * MemoryLayout<Float>.stride)
            var copies: [Tensor] = []
            var offset = 0
            for (i, tensor) in tensors.enumerated() {
                let copy = tensor.retyped(scratch + offset, .float32)
                if inputs[i] { widen(tensor, into: copy) }
                copies.append(copy)
                offset += tensor.count
            }
            try body(copies)
            for (i, tensor) in tensors.enumerated() where outputs[i] { narrow(copies[i], into: tensor) }
        }
    }

    static func widen(_ half: Tensor, into single: Tensor) {
        let source = UnsafeTransfer((half.address, single.mutablePointer(Float.self)))
        let bfloat = half.dtype == .bfloat16
        parallelFor(half.count, bytesPerItem: 6) { range in
            let (from, to) = source.value
            widen(from + range.lowerBound * 2, bfloat: bfloat, count: range.count, into: to + range.lowerBound)
        }
    }

    static func narrow(_ single: Tensor, into half: Tensor) {
        let target = UnsafeTransfer((single.pointer(Float.self), half.address))
        let bfloat = half.dtype == .bfloat16
        parallelFor(half.count, bytesPerItem: 6) { range in
            let (from, to) = target.value
            narrow(from + range.lowerBound, count: range.count, into: to + range.lowerBound * 2, bfloat: bfloat)
        }
    }

    /// `count` float16 (or bfloat16) elements at `from`, as float32.
    @inline(__always)
    static func widen(_ from: UnsafeRawPointer, bfloat: Bool, count: Int, into to: UnsafeMutablePointer<Float>) {
        if bfloat {
            let bits = from.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { to[i] = Float(bitPattern: UInt32(bits[i]) << 16) }
        } else {
            let values = from.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { to[i] = Float(values[i]) }
        }
    }

    /// `count` float32 elements rounded to nearest even float16 (or bfloat16) at `to`.
    @inline(__always)
    static func narrow(_ from: UnsafePointer<Float>, count: Int, into to: UnsafeMutableRawPointer, bfloat: Bool) {
        if bfloat {
            let bits = to.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { bits[i] = bfloat16Bits(from[i]) }
        } else {
            let values = to.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { values[i] = Float16(from[i]) }
        }
    }

    /// float32 -> bfloat16, rounded to nearest even; a NaN stays a (quiet) NaN of its sign.
    @inline(__always)
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}

/// An element the float32 vector kernels load and store eight at a time as SIMD8<Float>: Float
/// itself, or a half-precision type widened on load and rounded to nearest even on store (the
/// same values as HalfPrecision.widen / narrow), so that a kernel reads half precision directly.
protocol FloatLanes: SendableMetatype {
    static func load8(_ p: UnsafePointer<Self>) -> SIMD8<Float>
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Self>)
}

extension Float: FloatLanes {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}

extension Float16: FloatLanes {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float16>) -> SIMD8<Float> {
        SIMD8<Float>(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float16>.self))
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float16>) {
        UnsafeMutableRawPointer(p).storeBytes(of: SIMD8<Float16>(v), as: SIMD8<Float16>.self)
    }
}

/// A bfloat16 element: the high 16 bits of a float32.
struct BFloat16: FloatLanes {
    let bits: UInt16

    @inline(__always)
    static func load8(_ p: UnsafePointer<BFloat16>) -> SIMD8<Float> {
        let bits = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: bits) &<< 16, to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<BFloat16>) {
        // HalfPrecision.bfloat16Bits, lane by lane.
        let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self)
        var rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
        rounded.replace(with: (bits &>> 16) | 0x0040, where: v .!= v)
        UnsafeMutableRawPointer(p).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: rounded), as: SIMD8<UInt16>.self)
    }
}

/// A float32 vector the register-tiled kernels compute in: 8 lanes (AVX2), or 16 on the AVX-512
/// build (Correlation's tiles pick one per call). Loads and stores any FloatLanes element type,
/// eight lanes at a time.
protocol FloatVector: SIMD, Sendable where Scalar == Float {
    static func load<E: FloatLanes>(_ p: UnsafePointer<E>) -> Self
    func store<E: FloatLanes>(_ p: UnsafeMutablePointer<E>)
}

extension SIMD8: FloatVector where Scalar == Float {
    @inline(__always)
    static func load<E: FloatLanes>(_ p: UnsafePointer<E>) -> Self { E.load8(p) }

    @inline(__always)
    func store<E: FloatLanes>(_ p: UnsafeMutablePointer<E>) { E.store8(self, p) }
}

extension SIMD16: FloatVector where Scalar == Float {
    @inline(__always)
    static func load<E: FloatLanes>(_ p: UnsafePointer<E>) -> Self { Self(lowHalf: E.load8(p), highHalf: E.load8(p + 8)) }

    @inline(__always)
    func store<E: FloatLanes>(_ p: UnsafeMutablePointer<E>) {
        E.store8(lowHalf, p)
        E.store8(highHalf, p + 8)
    }
}
