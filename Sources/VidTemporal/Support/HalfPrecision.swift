/// float16 and bfloat16 calls of compute ops: the kernels load the half-precision tensors as
/// float32, compute (accumulating in float32 or wider, as for float32 calls) and store the results
/// in the call's dtype, rounded to nearest even.
extension Signature {
    /// Runs body on `call` itself, or, for a float16 or bfloat16 call, on a float32 copy of it:
    /// each floating tensor in checked float32 scratch (inputs converted in), the outputs
    /// converted back only after body succeeds, so a failed call writes nothing.
    func inFloat32(_ call: Binding<tensorCount, symbolCount>,
                   _ body: (Binding<tensorCount, symbolCount>) throws(VTError) -> Void) throws(VTError) {
        guard call.dtype == .float16 || call.dtype == .bfloat16 else { return try body(call) }
        var total = 0
        for i in 0..<tensorCount where !tensors[i].index {
            let (sum, overflow) = total.addingReportingOverflow(call.tensors[i]?.count ?? 0)
            guard !overflow else { throw .allocation("the float32 copies of the call's tensors overflow") }
            total = sum
        }
        try withScratch(total, of: Float.self) { (scratch) throws(VTError) in
            // Fresh scratch of this size is untouched mmap memory: fault it in 2 MiB pages.
            adviseHugePages(UnsafeMutableRawPointer(scratch), bytes: total * MemoryLayout<Float>.stride)
            var widened = call
            widened.dtype = .float32
            var offset = 0
            for i in 0..<tensorCount where !tensors[i].index {
                guard let tensor = call.tensors[i] else { continue }
                let copy = tensor.retyped(scratch + offset, .float32)
                if tensors[i].role != .output { HalfPrecision.widen(tensor, into: copy) }
                widened.tensors[i] = copy
                offset += tensor.count
            }
            try body(widened)
            for i in 0..<tensorCount where !tensors[i].index && tensors[i].role != .input {
                if let tensor = call.tensors[i], let copy = widened.tensors[i] { HalfPrecision.narrow(copy, into: tensor) }
            }
        }
    }
}

enum HalfPrecision {
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
