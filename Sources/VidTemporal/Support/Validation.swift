/// Argument checks shared by every exported function. Each throws a `VTError` whose message
/// names the argument as the header does.

/// A dimension as an `Int`, rejecting negative values.
func dimension(_ value: Int64, _ name: String) throws(VTError) -> Int {
    guard value >= 0 else { throw .invalidArgument("\(name)=\(value) must be >= 0") }
    guard let result = Int(exactly: value) else { throw .shapeMismatch("\(name)=\(value) is too large") }
    return result
}

/// A count that must be at least 1 (num_segments, fold_div, ...).
func positive(_ value: Int64, _ name: String) throws(VTError) -> Int {
    guard value >= 1 else { throw .invalidArgument("\(name)=\(value) must be >= 1") }
    guard let result = Int(exactly: value) else { throw .invalidArgument("\(name)=\(value) is too large") }
    return result
}

/// The element count of a tensor with these (already non-negative) dims, rejecting any product
/// whose byte size would not fit in an `Int`.
func elementCount(_ dims: [Int], elementSize: Int, tensor: String) throws(VTError) -> Int {
    var count = 1
    for dim in dims {
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        guard !overflow else { throw .shapeMismatch("\(tensor) of shape \(dims) overflows the address space") }
        count = product
    }
    guard !count.multipliedReportingOverflow(by: elementSize).overflow else {
        throw .shapeMismatch("\(tensor) of shape \(dims) overflows the address space")
    }
    return count
}

/// A data pointer, which may be NULL only for an empty tensor.
func requireData(_ pointer: UnsafeRawPointer?, _ name: String, count: Int) throws(VTError) {
    if pointer == nil && count > 0 { throw .nullPointer("\(name) is NULL") }
}

/// Rejects an output that shares memory with an input (the kernels read and write in one pass).
func requireDisjoint(_ output: UnsafeRawPointer?, _ outputName: String,
                     _ input: UnsafeRawPointer?, _ inputName: String, bytes: Int) throws(VTError) {
    guard let output, let input, bytes > 0 else { return }
    if output < input + bytes && input < output + bytes {
        throw .shapeMismatch("\(outputName) overlaps \(inputName); use the in-place function instead")
    }
}
