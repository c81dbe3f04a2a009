import CVidTemporal

// Exports of GlobalTemporalAttention: validate, then run the GEMM kernels.

private func mixForward<T: KernelScalar>(_ function: String, _ v: UnsafePointer<T>?, _ attn: UnsafePointer<T>?,
                                         _ y: UnsafeMutablePointer<T>?, _ nt: Int64, _ c: Int64, _ s: Int64,
                                         _ numSegments: Int64, _ groups: Int64,
                                         _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try GlobalTemporalAttention.shape(nt: nt, c: c, s: s, numSegments: numSegments, groups: groups,
                                                      elementSize: MemoryLayout<T>.stride)
        try requireData(v, "v", count: shape.count)
        try requireData(attn, "attn", count: shape.attnCount)
        try requireData(y, "y", count: shape.count)
        try requireSeparate(outputs: [ArrayExtent(y, "y", count: shape.count)],
                            inputs: [ArrayExtent(v, "v", count: shape.count),
                                     ArrayExtent(attn, "attn", count: shape.attnCount)])
        guard let v, let attn, let y, shape.count > 0 else { return }
        GlobalTemporalAttention.forward(v, attn, y, shape)
    }
}

private func mixBackward<T: KernelScalar>(_ function: String, _ gradY: UnsafePointer<T>?, _ v: UnsafePointer<T>?,
                                          _ attn: UnsafePointer<T>?, _ gradV: UnsafeMutablePointer<T>?,
                                          _ gradAttn: UnsafeMutablePointer<T>?, _ nt: Int64, _ c: Int64, _ s: Int64,
                                          _ numSegments: Int64, _ groups: Int64,
                                          _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try GlobalTemporalAttention.shape(nt: nt, c: c, s: s, numSegments: numSegments, groups: groups,
                                                      elementSize: MemoryLayout<T>.stride)
        try requireData(gradY, "grad_y", count: shape.count)
        try requireData(v, "v", count: shape.count)
        try requireData(attn, "attn", count: shape.attnCount)
        try requireSeparate(outputs: [ArrayExtent(gradV, "grad_v", count: shape.count),
                                      ArrayExtent(gradAttn, "grad_attn", count: shape.attnCount)],
                            inputs: [ArrayExtent(gradY, "grad_y", count: shape.count),
                                     ArrayExtent(v, "v", count: shape.count),
                                     ArrayExtent(attn, "attn", count: shape.attnCount)])
        guard let attn else { return }
        guard let gradY, let v, shape.count > 0 else {
            gradAttn?.update(repeating: 0, count: shape.attnCount)  // an empty sum
            return
        }
        GlobalTemporalAttention.backward(gradY, v, attn, gradV: gradV, gradAttn: gradAttn, shape)
    }
}

@c @implementation
public func vt_global_temporal_attention_forward_f32(
    _ v: UnsafePointer<Float>?, _ attn: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?, _ nt: Int64,
    _ c: Int64, _ s: Int64, _ num_segments: Int64, _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    mixForward("vt_global_temporal_attention_forward_f32", v, attn, y, nt, c, s, num_segments, groups, err)
}

@c @implementation
public func vt_global_temporal_attention_forward_f64(
    _ v: UnsafePointer<Double>?, _ attn: UnsafePointer<Double>?, _ y: UnsafeMutablePointer<Double>?, _ nt: Int64,
    _ c: Int64, _ s: Int64, _ num_segments: Int64, _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    mixForward("vt_global_temporal_attention_forward_f64", v, attn, y, nt, c, s, num_segments, groups, err)
}

@c @implementation
public func vt_global_temporal_attention_backward_f32(
    _ grad_y: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?, _ attn: UnsafePointer<Float>?,
    _ grad_v: UnsafeMutablePointer<Float>?, _ grad_attn: UnsafeMutablePointer<Float>?, _ nt: Int64, _ c: Int64,
    _ s: Int64, _ num_segments: Int64, _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    mixBackward("vt_global_temporal_attention_backward_f32", grad_y, v, attn, grad_v, grad_attn, nt, c, s, num_segments,
                groups, err)
}

@c @implementation
public func vt_global_temporal_attention_backward_f64(
    _ grad_y: UnsafePointer<Double>?, _ v: UnsafePointer<Double>?, _ attn: UnsafePointer<Double>?,
    _ grad_v: UnsafeMutablePointer<Double>?, _ grad_attn: UnsafeMutablePointer<Double>?, _ nt: Int64, _ c: Int64,
    _ s: Int64, _ num_segments: Int64, _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    mixBackward("vt_global_temporal_attention_backward_f64", grad_y, v, attn, grad_v, grad_attn, nt, c, s, num_segments,
                groups, err)
}
