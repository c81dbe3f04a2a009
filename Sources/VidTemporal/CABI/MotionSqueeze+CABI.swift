import CVidTemporal

// Exports of MotionSqueeze.

private func squeezeForward<T: KernelScalar>(
    _ function: String, _ x: UnsafePointer<T>?, _ out: UnsafeMutablePointer<T>?, _ nt: Int64, _ c: Int64, _ h: Int64,
    _ w: Int64, _ numSegments: Int64, _ patchSize: Int64, _ sigma: Double, _ temperature: Double, _ normalize: Int32,
    _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try MotionSqueeze.shape(nt: nt, c: c, h: h, w: w, numSegments: numSegments, patchSize: patchSize,
                                            sigma: sigma, temperature: temperature, normalize: normalize != 0,
                                            elementSize: MemoryLayout<T>.stride)
        try requireData(x, "x", count: shape.count)
        try requireData(out, "out", count: shape.outputCount)
        try requireSeparate(outputs: [ArrayExtent(out, "out", count: shape.outputCount)],
                            inputs: [ArrayExtent(x, "x", count: shape.count)])
        guard let out, shape.outputCount > 0 else { return }
        try MotionSqueeze.forward(placeholder(x), out, shape)
    }
}

private func squeezeBackward<T: KernelScalar>(
    _ function: String, _ grad: UnsafePointer<T>?, _ x: UnsafePointer<T>?, _ gradX: UnsafeMutablePointer<T>?,
    _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ numSegments: Int64, _ patchSize: Int64, _ sigma: Double,
    _ temperature: Double, _ normalize: Int32, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try MotionSqueeze.shape(nt: nt, c: c, h: h, w: w, numSegments: numSegments, patchSize: patchSize,
                                            sigma: sigma, temperature: temperature, normalize: normalize != 0,
                                            elementSize: MemoryLayout<T>.stride)
        try requireData(grad, "grad_out", count: shape.outputCount)
        try requireData(x, "x", count: shape.count)
        try requireData(gradX, "grad_x", count: shape.count)
        try requireSeparate(outputs: [ArrayExtent(gradX, "grad_x", count: shape.count)],
                            inputs: [ArrayExtent(grad, "grad_out", count: shape.outputCount),
                                     ArrayExtent(x, "x", count: shape.count)])
        guard let gradX, shape.count > 0 else { return }
        try MotionSqueeze.backward(placeholder(grad), placeholder(x), gradX, shape)
    }
}

@c @implementation
public func vt_motion_squeeze_forward_f32(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ nt: Int64,
                                          _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
                                          _ patch_size: Int64, _ sigma: Double, _ temperature: Double,
                                          _ normalize: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    squeezeForward("vt_motion_squeeze_forward_f32", x, out, nt, c, h, w, num_segments, patch_size, sigma, temperature,
                   normalize, err)
}

@c @implementation
public func vt_motion_squeeze_forward_f64(_ x: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Double>?, _ nt: Int64,
                                          _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
                                          _ patch_size: Int64, _ sigma: Double, _ temperature: Double,
                                          _ normalize: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    squeezeForward("vt_motion_squeeze_forward_f64", x, out, nt, c, h, w, num_segments, patch_size, sigma, temperature,
                   normalize, err)
}

@c @implementation
public func vt_motion_squeeze_backward_f32(_ grad_out: UnsafePointer<Float>?, _ x: UnsafePointer<Float>?,
                                           _ grad_x: UnsafeMutablePointer<Float>?, _ nt: Int64, _ c: Int64, _ h: Int64,
                                           _ w: Int64, _ num_segments: Int64, _ patch_size: Int64, _ sigma: Double,
                                           _ temperature: Double, _ normalize: Int32,
                                           _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    squeezeBackward("vt_motion_squeeze_backward_f32", grad_out, x, grad_x, nt, c, h, w, num_segments, patch_size, sigma,
                    temperature, normalize, err)
}

@c @implementation
public func vt_motion_squeeze_backward_f64(_ grad_out: UnsafePointer<Double>?, _ x: UnsafePointer<Double>?,
                                           _ grad_x: UnsafeMutablePointer<Double>?, _ nt: Int64, _ c: Int64, _ h: Int64,
                                           _ w: Int64, _ num_segments: Int64, _ patch_size: Int64, _ sigma: Double,
                                           _ temperature: Double, _ normalize: Int32,
                                           _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    squeezeBackward("vt_motion_squeeze_backward_f64", grad_out, x, grad_x, nt, c, h, w, num_segments, patch_size, sigma,
                    temperature, normalize, err)
}
