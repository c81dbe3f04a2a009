/// Size checks the ops share beyond the op table's (Signature.swift): sizes they form themselves.
/// Each throws a `VTError` whose message names what overflows.

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

/// A size passed to BLAS, whose integers are 32-bit.
func requireBLASSize(_ value: Int, _ what: String) throws(VTError) {
    guard value <= Int(Int32.max) else { throw .shapeMismatch("\(what) = \(value) exceeds the BLAS limit of 2^31 - 1") }
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
