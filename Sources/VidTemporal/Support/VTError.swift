import CVidTemporal

/// The library's one error type: a `VT_ERR_*` status, the argument it is about (as the header
/// names it; "" for none: an allocation, the call as a whole) and a message naming it. Validation
/// throws it; `cabiCall` turns it into a status and a `vt_error` at the C boundary.
struct VTError: Error {
    let status: Int32
    let argument: String
    let message: String

    static func nullPointer(_ message: String, argument: String) -> VTError {
        VTError(status: Int32(VT_ERR_NULL_POINTER), argument: argument, message: message)
    }
    static func invalidArgument(_ message: String, argument: String) -> VTError {
        VTError(status: Int32(VT_ERR_INVALID_ARGUMENT), argument: argument, message: message)
    }
    static func shapeMismatch(_ message: String, argument: String) -> VTError {
        VTError(status: Int32(VT_ERR_SHAPE_MISMATCH), argument: argument, message: message)
    }
    static func unsupported(_ message: String, argument: String) -> VTError {
        VTError(status: Int32(VT_ERR_UNSUPPORTED), argument: argument, message: message)
    }
    static func allocation(_ message: String) -> VTError {
        VTError(status: Int32(VT_ERR_ALLOCATION), argument: "", message: message)
    }
    static func internalError(_ message: String) -> VTError {
        VTError(status: Int32(VT_ERR_INTERNAL), argument: "", message: message)
    }
}

/// Runs one exported function's body and reports its outcome as a status, filling the caller's
/// optional `vt_error` with the argument at fault and "function: message". The only place errors
/// cross into C.
func cabiCall(_ function: String, _ error: UnsafeMutablePointer<vt_error>?,
              _ body: () throws(VTError) -> Void) -> Int32 {
    let status: Int32
    let (argument, message): (String, String)
    BLAS.configure()
    do {
        try body()
        (status, argument, message) = (Int32(VT_OK), "", "")
    } catch let failure {
        (status, argument, message) = (failure.status, failure.argument, "\(function): \(failure.message)")
    }
    if let error {
        error.pointee.status = status
        copyTruncated(argument, into: &error.pointee.argument)
        copyTruncated(message, into: &error.pointee.message)
    }
    return status
}

/// Copies `text` into a fixed-size char array of a C struct, truncated and always NUL-terminated.
func copyTruncated<Field>(_ text: String, into field: inout Field) {
    withUnsafeMutableBytes(of: &field) { field in
        let bytes = Array(text.utf8.prefix(field.count - 1))
        field.copyBytes(from: bytes)
        field[bytes.count] = 0
    }
}

/// `vt_status_string`'s table.
func statusDescription(_ status: Int32) -> StaticString {
    switch status {
    case Int32(VT_OK): "ok"
    case Int32(VT_ERR_NULL_POINTER): "null pointer"
    case Int32(VT_ERR_INVALID_ARGUMENT): "invalid argument"
    case Int32(VT_ERR_SHAPE_MISMATCH): "shape mismatch"
    case Int32(VT_ERR_UNSUPPORTED): "unsupported"
    case Int32(VT_ERR_ALLOCATION): "allocation failed"
    case Int32(VT_ERR_INTERNAL): "internal error"
    default: "unknown status"
    }
}
