import CVidTemporal

// The stream's lifecycle: the opaque handle is a retained TemporalShiftStream. (Its create and
// step take tensors and are generated from the op table.)

@c @implementation
public func vt_temporal_shift_stream_reset(_ stream: OpaquePointer?, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_temporal_shift_stream_reset", err) { () throws(VTError) in
        guard let stream else { throw .nullPointer("stream is NULL", argument: "stream") }
        TemporalShiftStream.object(stream).reset()
    }
}

@c @implementation
public func vt_temporal_shift_stream_free(_ stream: OpaquePointer?) {
    guard let stream else { return }
    Unmanaged<TemporalShiftStream>.fromOpaque(UnsafeRawPointer(stream)).release()
}
