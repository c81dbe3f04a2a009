import CVidTemporal

// Exports of SpatialAttention.

private func attentionForward<T: KernelScalar>(_ function: String, _ q: UnsafePointer<T>?, _ k: UnsafePointer<T>?,
                                               _ v: UnsafePointer<T>?, _ y: UnsafeMutablePointer<T>?,
                                               _ lse: UnsafeMutablePointer<T>?, _ b: Int64, _ d: Int64, _ dv: Int64,
                                               _ s: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try SpatialAttention.shape(b: b, d: d, dv: dv, s: s, elementSize: MemoryLayout<T>.stride)
        try requireData(q, "q", count: shape.queryCount)
        try requireData(k, "k", count: shape.queryCount)
        try requireData(v, "v", count: shape.valueCount)
        try requireData(y, "y", count: shape.valueCount)
        try requireSeparate(outputs: [ArrayExtent(y, "y", count: shape.valueCount),
                                      ArrayExtent(lse, "lse", count: shape.lseCount)],
                            inputs: [ArrayExtent(q, "q", count: shape.queryCount),
                                     ArrayExtent(k, "k", count: shape.queryCount),
                                     ArrayExtent(v, "v", count: shape.valueCount)])
        guard shape.lseCount > 0 else { return }  // no frames or no positions: nothing to write
        try SpatialAttention.forward(placeholder(q), placeholder(k), placeholder(v), placeholder(y), lse: lse, shape)
    }
}

private func attentionBackward<T: KernelScalar>(_ function: String, _ gradY: UnsafePointer<T>?, _ q: UnsafePointer<T>?,
                                                _ k: UnsafePointer<T>?, _ v: UnsafePointer<T>?,
                                                _ lse: UnsafePointer<T>?, _ gradQ: UnsafeMutablePointer<T>?,
                                                _ gradK: UnsafeMutablePointer<T>?, _ gradV: UnsafeMutablePointer<T>?,
                                                _ b: Int64, _ d: Int64, _ dv: Int64, _ s: Int64,
                                                _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try SpatialAttention.shape(b: b, d: d, dv: dv, s: s, elementSize: MemoryLayout<T>.stride)
        try requireData(gradY, "grad_y", count: shape.valueCount)
        try requireData(q, "q", count: shape.queryCount)
        try requireData(k, "k", count: shape.queryCount)
        try requireData(v, "v", count: shape.valueCount)
        try requireSeparate(outputs: [ArrayExtent(gradQ, "grad_q", count: shape.queryCount),
                                      ArrayExtent(gradK, "grad_k", count: shape.queryCount),
                                      ArrayExtent(gradV, "grad_v", count: shape.valueCount)],
                            inputs: [ArrayExtent(gradY, "grad_y", count: shape.valueCount),
                                     ArrayExtent(q, "q", count: shape.queryCount),
                                     ArrayExtent(k, "k", count: shape.queryCount),
                                     ArrayExtent(v, "v", count: shape.valueCount),
                                     ArrayExtent(lse, "lse", count: shape.lseCount)])
        guard shape.lseCount > 0 else { return }  // no frames or no positions: nothing to write
        try SpatialAttention.backward(placeholder(gradY), placeholder(q), placeholder(k), placeholder(v), lse: lse,
                                      gradQ: gradQ.map(placeholder), gradK: gradK.map(placeholder),
                                      gradV: gradV.map(placeholder), shape)
    }
}

@c @implementation
public func vt_spatial_attention_forward_f32(_ q: UnsafePointer<Float>?, _ k: UnsafePointer<Float>?,
                                             _ v: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?,
                                             _ lse: UnsafeMutablePointer<Float>?, _ b: Int64, _ d: Int64, _ dv: Int64,
                                             _ s: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    attentionForward("vt_spatial_attention_forward_f32", q, k, v, y, lse, b, d, dv, s, err)
}

@c @implementation
public func vt_spatial_attention_forward_f64(_ q: UnsafePointer<Double>?, _ k: UnsafePointer<Double>?,
                                             _ v: UnsafePointer<Double>?, _ y: UnsafeMutablePointer<Double>?,
                                             _ lse: UnsafeMutablePointer<Double>?, _ b: Int64, _ d: Int64, _ dv: Int64,
                                             _ s: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    attentionForward("vt_spatial_attention_forward_f64", q, k, v, y, lse, b, d, dv, s, err)
}

@c @implementation
public func vt_spatial_attention_backward_f32(_ grad_y: UnsafePointer<Float>?, _ q: UnsafePointer<Float>?,
                                              _ k: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?,
                                              _ lse: UnsafePointer<Float>?, _ grad_q: UnsafeMutablePointer<Float>?,
                                              _ grad_k: UnsafeMutablePointer<Float>?,
                                              _ grad_v: UnsafeMutablePointer<Float>?, _ b: Int64, _ d: Int64,
                                              _ dv: Int64, _ s: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    attentionBackward("vt_spatial_attention_backward_f32", grad_y, q, k, v, lse, grad_q, grad_k, grad_v, b, d, dv, s, err)
}

@c @implementation
public func vt_spatial_attention_backward_f64(_ grad_y: UnsafePointer<Double>?, _ q: UnsafePointer<Double>?,
                                              _ k: UnsafePointer<Double>?, _ v: UnsafePointer<Double>?,
                                              _ lse: UnsafePointer<Double>?, _ grad_q: UnsafeMutablePointer<Double>?,
                                              _ grad_k: UnsafeMutablePointer<Double>?,
                                              _ grad_v: UnsafeMutablePointer<Double>?, _ b: Int64, _ d: Int64,
                                              _ dv: Int64, _ s: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    attentionBackward("vt_spatial_attention_backward_f64", grad_y, q, k, v, lse, grad_q, grad_k, grad_v, b, d, dv, s,
                      err)
}
