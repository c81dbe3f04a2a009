import CVidTemporal

// Exports of CmlLocalize.

private func localize<T: KernelScalar>(_ function: String, _ query: UnsafePointer<T>?, _ other: UnsafePointer<T>?,
                                       _ start: UnsafeMutablePointer<Int64>?, _ n: Int64, _ t: Int64, _ d: Int64,
                                       _ length: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let (clips, segments, dim) = (try dimension(n, "n"), try dimension(t, "t"), try dimension(d, "d"))
        let count = try elementCount([clips, segments, dim], elementSize: MemoryLayout<T>.stride, tensor: "other_local")
        _ = try elementCount([clips, dim], elementSize: MemoryLayout<T>.stride, tensor: "query_global")
        guard length >= 1 && length <= t else {
            throw .invalidArgument("length=\(length) must be in [1, t=\(t)]")
        }
        try requireData(query, "query_global", count: clips * dim)
        try requireData(other, "other_local", count: count)
        guard let start else {
            if clips > 0 { throw .nullPointer("start is NULL") }
            return
        }
        try requireSeparate(outputs: [ArrayExtent(start, "start", count: clips)],
                            inputs: [ArrayExtent(query, "query_global", count: clips * dim),
                                     ArrayExtent(other, "other_local", count: count)])
        CmlLocalize.localize(placeholder(query), placeholder(other), start, clips: clips, segments: segments, dim: dim,
                             length: Int(length))
    }
}

@c @implementation
public func vt_cml_localize_f32(_ query_global: UnsafePointer<Float>?, _ other_local: UnsafePointer<Float>?,
                                _ start: UnsafeMutablePointer<Int64>?, _ n: Int64, _ t: Int64, _ d: Int64,
                                _ length: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    localize("vt_cml_localize_f32", query_global, other_local, start, n, t, d, length, err)
}

@c @implementation
public func vt_cml_localize_f64(_ query_global: UnsafePointer<Double>?, _ other_local: UnsafePointer<Double>?,
                                _ start: UnsafeMutablePointer<Int64>?, _ n: Int64, _ t: Int64, _ d: Int64,
                                _ length: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    localize("vt_cml_localize_f64", query_global, other_local, start, n, t, d, length, err)
}
