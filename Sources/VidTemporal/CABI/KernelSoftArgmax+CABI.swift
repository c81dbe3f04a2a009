import CVidTemporal

// Exports of KernelSoftArgmax.

private func softArgmaxForward<T: KernelScalar>(
    _ function: String, _ corr: UnsafePointer<T>?, _ displacement: UnsafeMutablePointer<T>?,
    _ confidence: UnsafeMutablePointer<T>?, _ b: Int64, _ p: Int64, _ h: Int64, _ w: Int64, _ sigma: Double,
    _ temperature: Double, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try KernelSoftArgmax.shape(b: b, p: p, h: h, w: w, sigma: sigma, temperature: temperature,
                                               elementSize: MemoryLayout<T>.stride)
        try requireData(corr, "corr", count: shape.volumeCount)
        try requireData(displacement, "displacement", count: 2 * shape.mapCount)
        try requireData(confidence, "confidence", count: shape.mapCount)
        try requireSeparate(outputs: [ArrayExtent(displacement, "displacement", count: 2 * shape.mapCount),
                                      ArrayExtent(confidence, "confidence", count: shape.mapCount)],
                            inputs: [ArrayExtent(corr, "corr", count: shape.volumeCount)])
        guard shape.mapCount > 0 else { return }
        KernelSoftArgmax.forward(placeholder(corr), placeholder(displacement), placeholder(confidence), shape)
    }
}

private func softArgmaxBackward<T: KernelScalar>(
    _ function: String, _ gradDisplacement: UnsafePointer<T>?, _ gradConfidence: UnsafePointer<T>?,
    _ corr: UnsafePointer<T>?, _ gradCorr: UnsafeMutablePointer<T>?, _ b: Int64, _ p: Int64, _ h: Int64, _ w: Int64,
    _ sigma: Double, _ temperature: Double, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try KernelSoftArgmax.shape(b: b, p: p, h: h, w: w, sigma: sigma, temperature: temperature,
                                               elementSize: MemoryLayout<T>.stride)
        try requireData(corr, "corr", count: shape.volumeCount)
        try requireData(gradCorr, "grad_corr", count: shape.volumeCount)
        try requireSeparate(outputs: [ArrayExtent(gradCorr, "grad_corr", count: shape.volumeCount)],
                            inputs: [ArrayExtent(corr, "corr", count: shape.volumeCount),
                                     ArrayExtent(gradDisplacement, "grad_displacement", count: 2 * shape.mapCount),
                                     ArrayExtent(gradConfidence, "grad_confidence", count: shape.mapCount)])
        guard shape.mapCount > 0 else { return }
        KernelSoftArgmax.backward(gradDisplacement, gradConfidence, placeholder(corr), placeholder(gradCorr), shape)
    }
}

@c @implementation
public func vt_kernel_soft_argmax_forward_f32(_ corr: UnsafePointer<Float>?, _ displacement: UnsafeMutablePointer<Float>?,
                                              _ confidence: UnsafeMutablePointer<Float>?, _ b: Int64, _ p: Int64,
                                              _ h: Int64, _ w: Int64, _ sigma: Double, _ temperature: Double,
                                              _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    softArgmaxForward("vt_kernel_soft_argmax_forward_f32", corr, displacement, confidence, b, p, h, w, sigma,
                      temperature, err)
}

@c @implementation
public func vt_kernel_soft_argmax_forward_f64(_ corr: UnsafePointer<Double>?,
                                              _ displacement: UnsafeMutablePointer<Double>?,
                                              _ confidence: UnsafeMutablePointer<Double>?, _ b: Int64, _ p: Int64,
                                              _ h: Int64, _ w: Int64, _ sigma: Double, _ temperature: Double,
                                              _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    softArgmaxForward("vt_kernel_soft_argmax_forward_f64", corr, displacement, confidence, b, p, h, w, sigma,
                      temperature, err)
}

@c @implementation
public func vt_kernel_soft_argmax_backward_f32(_ grad_displacement: UnsafePointer<Float>?,
                                               _ grad_confidence: UnsafePointer<Float>?, _ corr: UnsafePointer<Float>?,
                                               _ grad_corr: UnsafeMutablePointer<Float>?, _ b: Int64, _ p: Int64,
                                               _ h: Int64, _ w: Int64, _ sigma: Double, _ temperature: Double,
                                               _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    softArgmaxBackward("vt_kernel_soft_argmax_backward_f32", grad_displacement, grad_confidence, corr, grad_corr, b, p,
                       h, w, sigma, temperature, err)
}

@c @implementation
public func vt_kernel_soft_argmax_backward_f64(_ grad_displacement: UnsafePointer<Double>?,
                                               _ grad_confidence: UnsafePointer<Double>?, _ corr: UnsafePointer<Double>?,
                                               _ grad_corr: UnsafeMutablePointer<Double>?, _ b: Int64, _ p: Int64,
                                               _ h: Int64, _ w: Int64, _ sigma: Double, _ temperature: Double,
                                               _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    softArgmaxBackward("vt_kernel_soft_argmax_backward_f64", grad_displacement, grad_confidence, corr, grad_corr, b, p,
                       h, w, sigma, temperature, err)
}
