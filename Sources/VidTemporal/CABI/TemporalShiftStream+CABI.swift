import CVidTemporal

// Exports of TemporalShiftStream: the opaque handle is a retained TemporalShiftStream.

private func streamObject(_ handle: OpaquePointer?) throws(VTError) -> TemporalShiftStream {
    guard let handle else { throw .nullPointer("stream is NULL") }
    return Unmanaged<TemporalShiftStream>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

private func step(_ function: String, _ handle: OpaquePointer?, _ frame: UnsafeRawPointer?,
                  _ out: UnsafeMutableRawPointer?, dims: [Int64], elementType: TemporalShiftStream.ElementType,
                  _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let stream = try streamObject(handle)
        guard stream.elementType == elementType else {
            throw .unsupported("the stream holds \(stream.elementType.name) frames, not \(elementType.name)")
        }
        guard dims == stream.dims.map(Int64.init) else {
            throw .shapeMismatch("frame shape \(dims) (n, c, h, w) differs from the stream's \(stream.dims)")
        }
        let count = stream.dims.reduce(1, *)
        try requireData(frame, "frame", count: count)
        try requireData(out, "out", count: count)
        try requireDisjoint(out, "out", frame, "frame", bytes: count * elementType.size)
        guard let frame, let out, count > 0 else { return }
        stream.step(frame, out)
    }
}

@c @implementation
public func vt_temporal_shift_stream_create(_ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ fold_div: Int64,
                                            _ dtype: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                                            _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_temporal_shift_stream_create", err) { () throws(VTError) in
        guard let out else { throw .nullPointer("out is NULL") }
        let dims = [try dimension(n, "n"), try dimension(c, "c"), try dimension(h, "h"), try dimension(w, "w")]
        let foldDiv = try positive(fold_div, "fold_div")
        guard let elementType = TemporalShiftStream.ElementType(rawValue: dtype) else {
            throw .invalidArgument("dtype=\(dtype) is not VT_DTYPE_F32 (0) or VT_DTYPE_F64 (1)")
        }
        _ = try elementCount(dims, elementSize: elementType.size, tensor: "frame")
        let stream = try TemporalShiftStream(dims: dims, fold: dims[1] / foldDiv, elementType: elementType)
        out.pointee = OpaquePointer(Unmanaged.passRetained(stream).toOpaque())
    }
}

@c @implementation
public func vt_temporal_shift_stream_step_f32(_ stream: OpaquePointer?, _ frame: UnsafePointer<Float>?,
                                              _ out: UnsafeMutablePointer<Float>?, _ n: Int64, _ c: Int64,
                                              _ h: Int64, _ w: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    step("vt_temporal_shift_stream_step_f32", stream, frame, out, dims: [n, c, h, w], elementType: .float32, err)
}

@c @implementation
public func vt_temporal_shift_stream_step_f64(_ stream: OpaquePointer?, _ frame: UnsafePointer<Double>?,
                                              _ out: UnsafeMutablePointer<Double>?, _ n: Int64, _ c: Int64,
                                              _ h: Int64, _ w: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    step("vt_temporal_shift_stream_step_f64", stream, frame, out, dims: [n, c, h, w], elementType: .float64, err)
}

@c @implementation
public func vt_temporal_shift_stream_reset(_ stream: OpaquePointer?, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_temporal_shift_stream_reset", err) { () throws(VTError) in
        try streamObject(stream).reset()
    }
}

@c @implementation
public func vt_temporal_shift_stream_free(_ stream: OpaquePointer?) {
    guard let stream else { return }
    Unmanaged<TemporalShiftStream>.fromOpaque(UnsafeRawPointer(stream)).release()
}
