/// Argument checks shared by every exported function. Each throws a `VTError` whose message
/// names the argument as the header does.

/// A dimension as an `Int` (64-bit), rejecting negative values.
func dimension(_ value: Int64, _ name: String) throws(VTError) -> Int {
    guard value >= 0 else { throw .invalidArgument("\(name)=\(value) must be >= 0") }
    return Int(value)
}

/// A count that must be at least 1 (num_segments, fold_div, ...).
func positive(_ value: Int64, _ name: String) throws(VTError) -> Int {
    guard value >= 1 else { throw .invalidArgument("\(name)=\(value) must be >= 1") }
    return Int(value)
}

/// The element count of a tensor with these (already non-negative) dims. Rejects shapes whose
/// byte size would not fit in an `Int`, counting zero dims as 1 so that no partial product a
/// kernel forms (h * w of an empty batch, say) can overflow either.
func elementCount(_ dims: [Int], elementSize: Int, tensor: String) throws(VTError) -> Int {
    var bound = elementSize
    for dim in dims {
        let (product, overflow) = bound.multipliedReportingOverflow(by: max(dim, 1))
        guard !overflow else { throw .shapeMismatch("\(tensor) of shape \(dims) overflows the address space") }
        bound = product
    }
    return dims.reduce(1, *)
}

/// A data pointer, which may be NULL only for an empty tensor.
func requireData(_ pointer: UnsafeRawPointer?, _ name: String, count: Int) throws(VTError) {
    if pointer == nil && count > 0 { throw .nullPointer("\(name) is NULL") }
}

/// Rejects an output that shares memory with an input (the kernels read and write in one pass).
/// `bytes` sizes both arrays, or `inputBytes` sizes the input when it differs.
func requireDisjoint(_ output: UnsafeRawPointer?, _ outputName: String, _ input: UnsafeRawPointer?,
                     _ inputName: String, bytes: Int, inputBytes: Int? = nil) throws(VTError) {
    let inputBytes = inputBytes ?? bytes
    guard let output, let input, bytes > 0, inputBytes > 0 else { return }
    if output < input + inputBytes && input < output + bytes {
        throw .shapeMismatch("\(outputName) overlaps \(inputName); they must be separate arrays")
    }
}

/// A size passed to BLAS, whose integers are 32-bit.
func requireBLASSize(_ value: Int, _ what: String) throws(VTError) {
    guard value <= Int(Int32.max) else { throw .shapeMismatch("\(what) = \(value) exceeds the BLAS limit of 2^31 - 1") }
}

/// One array of a call, for the overlap checks: its address, name and size in bytes.
struct ArrayExtent {
    let pointer: UnsafeRawPointer?
    let name: String
    let bytes: Int

    init<T>(_ pointer: UnsafePointer<T>?, _ name: String, count: Int) {
        (self.pointer, self.name, bytes) = (pointer.map(UnsafeRawPointer.init), name, count * MemoryLayout<T>.stride)
    }

    init<T>(_ pointer: UnsafeMutablePointer<T>?, _ name: String, count: Int) {
        self.init(pointer.map { UnsafePointer<T>($0) }, name, count: count)
    }
}

/// Rejects any output overlapping an input or another output.
func requireSeparate(outputs: [ArrayExtent], inputs: [ArrayExtent]) throws(VTError) {
    for (index, output) in outputs.enumerated() {
        for other in inputs + outputs[..<index] {
            try requireDisjoint(output.pointer, output.name, other.pointer, other.name, bytes: output.bytes,
                                inputBytes: other.bytes)
        }
    }
}

/// A pointer for the kernels: the argument itself, or, for an empty tensor passed as NULL, a
/// non-null address that nothing reads (requireData has rejected NULL for non-empty tensors).
func placeholder<T>(_ pointer: UnsafePointer<T>?) -> UnsafePointer<T> {
    pointer ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
}

func placeholder<T>(_ pointer: UnsafeMutablePointer<T>?) -> UnsafeMutablePointer<T> {
    pointer ?? UnsafeMutablePointer(bitPattern: MemoryLayout<T>.alignment)!
}

/// Σ over terms of Π over each term's factors, rejecting overflow (scratch sizes from user dims).
func checkedCount(_ terms: [[Int]], _ what: String) throws(VTError) -> Int {
    var total = 0
    for term in terms {
        var product = 1
        for factor in term {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            guard !overflow else { throw .shapeMismatch("\(what) overflows the address space") }
            product = next
        }
        let (sum, overflow) = total.addingReportingOverflow(product)
        guard !overflow else { throw .shapeMismatch("\(what) overflows the address space") }
        total = sum
    }
    return total
}
