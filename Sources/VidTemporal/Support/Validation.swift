/// Size checks the ops share beyond the op table's (Signature.swift): sizes they form themselves.
/// Each throws a `VTError` whose message names what overflows.

/// A size passed to BLAS, whose integers are 32-bit: `what`, a size of `argument`.
func requireBLASSize(_ value: Int, _ what: StaticString, argument: String) throws(VTError) {
    guard value <= Int(Int32.max) else {
        throw .shapeMismatch("\(what) = \(value) exceeds the BLAS limit of 2^31 - 1", argument: argument)
    }
}

/// Σ over terms of Π over each term's factors (pad a term with 1s), rejecting overflow: for the
/// scratch sizes a kernel forms from callers' dims (`what`, from `argument`'s shape). Inline
/// arrays: this runs on every call.
func checkedCount<let terms: Int, let factors: Int>(_ values: InlineArray<terms, InlineArray<factors, Int>>,
                                                     _ what: StaticString, argument: String) throws(VTError) -> Int {
    var total = 0
    for t in 0..<terms {
        var product = 1
        for f in 0..<factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: values[t][f])
            guard !overflow else { throw .shapeMismatch("\(what) overflows the address space", argument: argument) }
            product = next
        }
        let (sum, overflow) = total.addingReportingOverflow(product)
        guard !overflow else { throw .shapeMismatch("\(what) overflows the address space", argument: argument) }
        total = sum
    }
    return total
}
