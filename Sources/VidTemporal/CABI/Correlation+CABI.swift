import CVidTemporal

// Exports of Correlation.

private func correlationForward<T: KernelScalar>(
    _ function: String, _ f1: UnsafePointer<T>?, _ f2: UnsafePointer<T>?, _ out: UnsafeMutablePointer<T>?, _ b: Int64,
    _ c: Int64, _ h: Int64, _ w: Int64, _ patchSize: Int64, _ dilationPatch: Int64,
    _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try Correlation.shape(b: b, c: c, h: h, w: w, patchSize: patchSize, dilationPatch: dilationPatch,
                                          elementSize: MemoryLayout<T>.stride)
        try requireData(f1, "f1", count: shape.featureCount)
        try requireData(f2, "f2", count: shape.featureCount)
        try requireData(out, "out", count: shape.outputCount)
        try requireSeparate(outputs: [ArrayExtent(out, "out", count: shape.outputCount)],
                            inputs: [ArrayExtent(f1, "f1", count: shape.featureCount),
                                     ArrayExtent(f2, "f2", count: shape.featureCount)])
        guard let out, shape.outputCount > 0 else { return }
        try Correlation.forward(placeholder(f1), placeholder(f2), out, shape)
    }
}

private func correlationBackward<T: KernelScalar>(
    _ function: String, _ grad: UnsafePointer<T>?, _ f1: UnsafePointer<T>?, _ f2: UnsafePointer<T>?,
    _ gradF1: UnsafeMutablePointer<T>?, _ gradF2: UnsafeMutablePointer<T>?, _ b: Int64, _ c: Int64, _ h: Int64,
    _ w: Int64, _ patchSize: Int64, _ dilationPatch: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try Correlation.shape(b: b, c: c, h: h, w: w, patchSize: patchSize, dilationPatch: dilationPatch,
                                          elementSize: MemoryLayout<T>.stride)
        try requireData(grad, "grad_out", count: shape.outputCount)
        try requireData(f1, "f1", count: shape.featureCount)
        try requireData(f2, "f2", count: shape.featureCount)
        try requireSeparate(outputs: [ArrayExtent(gradF1, "grad_f1", count: shape.featureCount),
                                      ArrayExtent(gradF2, "grad_f2", count: shape.featureCount)],
                            inputs: [ArrayExtent(grad, "grad_out", count: shape.outputCount),
                                     ArrayExtent(f1, "f1", count: shape.featureCount),
                                     ArrayExtent(f2, "f2", count: shape.featureCount)])
        guard shape.featureCount > 0 else { return }
        try Correlation.backward(placeholder(grad), placeholder(f1), placeholder(f2), gradF1: gradF1, gradF2: gradF2,
                                 shape)
    }
}

@c @implementation
public func vt_correlation_forward_f32(_ f1: UnsafePointer<Float>?, _ f2: UnsafePointer<Float>?,
                                       _ out: UnsafeMutablePointer<Float>?, _ b: Int64, _ c: Int64, _ h: Int64,
                                       _ w: Int64, _ patch_size: Int64, _ dilation_patch: Int64,
                                       _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    correlationForward("vt_correlation_forward_f32", f1, f2, out, b, c, h, w, patch_size, dilation_patch, err)
}

@c @implementation
public func vt_correlation_forward_f64(_ f1: UnsafePointer<Double>?, _ f2: UnsafePointer<Double>?,
                                       _ out: UnsafeMutablePointer<Double>?, _ b: Int64, _ c: Int64, _ h: Int64,
                                       _ w: Int64, _ patch_size: Int64, _ dilation_patch: Int64,
                                       _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    correlationForward("vt_correlation_forward_f64", f1, f2, out, b, c, h, w, patch_size, dilation_patch, err)
}

@c @implementation
public func vt_correlation_backward_f32(_ grad_out: UnsafePointer<Float>?, _ f1: UnsafePointer<Float>?,
                                        _ f2: UnsafePointer<Float>?, _ grad_f1: UnsafeMutablePointer<Float>?,
                                        _ grad_f2: UnsafeMutablePointer<Float>?, _ b: Int64, _ c: Int64, _ h: Int64,
                                        _ w: Int64, _ patch_size: Int64, _ dilation_patch: Int64,
                                        _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    correlationBackward("vt_correlation_backward_f32", grad_out, f1, f2, grad_f1, grad_f2, b, c, h, w, patch_size,
                        dilation_patch, err)
}

@c @implementation
public func vt_correlation_backward_f64(_ grad_out: UnsafePointer<Double>?, _ f1: UnsafePointer<Double>?,
                                        _ f2: UnsafePointer<Double>?, _ grad_f1: UnsafeMutablePointer<Double>?,
                                        _ grad_f2: UnsafeMutablePointer<Double>?, _ b: Int64, _ c: Int64, _ h: Int64,
                                        _ w: Int64, _ patch_size: Int64, _ dilation_patch: Int64,
                                        _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    correlationBackward("vt_correlation_backward_f64", grad_out, f1, f2, grad_f1, grad_f2, b, c, h, w, patch_size,
                        dilation_patch, err)
}
