import CVidTemporal

// Exports of TemporalShiftStream: the opaque handle is a retained TemporalShiftStream.

private func streamObject(_ handle: OpaquePointer?) throws(VTError) -> TemporalShiftStream {
    guard let handle else { throw .nullPointer("stream is NULL") }
    return Unmanaged<TemporalShiftStream>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

private func step(_ function: String, _ handle: OpaquePointer?, _ frame: UnsafeRawPointer?,
                  _ out: UnsafeMutableRawPointer?, dims: [Int64], elementType: DType,
                  _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let stream = try streamObject(handle)
        guard stream.dtype == elementType else {
            throw .unsupported("the stream holds \(stream.dtype.name) frames, not \(elementType.name)")
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
