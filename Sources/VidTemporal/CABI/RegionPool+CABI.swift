import CVidTemporal

// Exports of RegionPool.

private func poolForward<T: KernelScalar>(_ function: String, _ x: UnsafePointer<T>?, _ assign: UnsafePointer<T>?,
                                          _ r: UnsafeMutablePointer<T>?, _ b: Int64, _ c: Int64, _ s: Int64,
                                          _ k: Int64, _ normalize: Int32,
                                          _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try RegionPool.shape(b: b, c: c, s: s, k: k, elementSize: MemoryLayout<T>.stride)
        try requireData(x, "x", count: shape.pixelCount)
        try requireData(assign, "assign", count: shape.assignCount)
        try requireData(r, "r", count: shape.regionCount)
        try requireSeparate(outputs: [ArrayExtent(r, "r", count: shape.regionCount)],
                            inputs: [ArrayExtent(x, "x", count: shape.pixelCount),
                                     ArrayExtent(assign, "assign", count: shape.assignCount)])
        guard let r, shape.regionCount > 0 else { return }
        RegionPool.forward(placeholder(x), placeholder(assign), r, shape, normalize: normalize != 0)
    }
}

private func poolBackward<T: KernelScalar>(_ function: String, _ gradR: UnsafePointer<T>?, _ x: UnsafePointer<T>?,
                                           _ assign: UnsafePointer<T>?, _ gradX: UnsafeMutablePointer<T>?,
                                           _ gradAssign: UnsafeMutablePointer<T>?, _ b: Int64, _ c: Int64, _ s: Int64,
                                           _ k: Int64, _ normalize: Int32,
                                           _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try RegionPool.shape(b: b, c: c, s: s, k: k, elementSize: MemoryLayout<T>.stride)
        try requireData(gradR, "grad_r", count: shape.regionCount)
        try requireData(x, "x", count: shape.pixelCount)
        try requireData(assign, "assign", count: shape.assignCount)
        try requireSeparate(outputs: [ArrayExtent(gradX, "grad_x", count: shape.pixelCount),
                                      ArrayExtent(gradAssign, "grad_assign", count: shape.assignCount)],
                            inputs: [ArrayExtent(gradR, "grad_r", count: shape.regionCount),
                                     ArrayExtent(x, "x", count: shape.pixelCount),
                                     ArrayExtent(assign, "assign", count: shape.assignCount)])
        // Empty dims are empty GEMM sums (k = 0 zeroes the output), so one path serves all shapes.
        RegionPool.backward(placeholder(gradR), placeholder(x), placeholder(assign), gradX: gradX,
                            gradAssign: gradAssign, shape, normalize: normalize != 0)
    }
}

@c @implementation
public func vt_region_pool_forward_f32(_ x: UnsafePointer<Float>?, _ assign: UnsafePointer<Float>?,
                                       _ r: UnsafeMutablePointer<Float>?, _ b: Int64, _ c: Int64, _ s: Int64,
                                       _ k: Int64, _ normalize: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    poolForward("vt_region_pool_forward_f32", x, assign, r, b, c, s, k, normalize, err)
}

@c @implementation
public func vt_region_pool_forward_f64(_ x: UnsafePointer<Double>?, _ assign: UnsafePointer<Double>?,
                                       _ r: UnsafeMutablePointer<Double>?, _ b: Int64, _ c: Int64, _ s: Int64,
                                       _ k: Int64, _ normalize: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    poolForward("vt_region_pool_forward_f64", x, assign, r, b, c, s, k, normalize, err)
}

@c @implementation
public func vt_region_pool_backward_f32(_ grad_r: UnsafePointer<Float>?, _ x: UnsafePointer<Float>?,
                                        _ assign: UnsafePointer<Float>?, _ grad_x: UnsafeMutablePointer<Float>?,
                                        _ grad_assign: UnsafeMutablePointer<Float>?, _ b: Int64, _ c: Int64,
                                        _ s: Int64, _ k: Int64, _ normalize: Int32,
                                        _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    poolBackward("vt_region_pool_backward_f32", grad_r, x, assign, grad_x, grad_assign, b, c, s, k, normalize, err)
}

@c @implementation
public func vt_region_pool_backward_f64(_ grad_r: UnsafePointer<Double>?, _ x: UnsafePointer<Double>?,
                                        _ assign: UnsafePointer<Double>?, _ grad_x: UnsafeMutablePointer<Double>?,
                                        _ grad_assign: UnsafeMutablePointer<Double>?, _ b: Int64, _ c: Int64,
                                        _ s: Int64, _ k: Int64, _ normalize: Int32,
                                        _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    poolBackward("vt_region_pool_backward_f64", grad_r, x, assign, grad_x, grad_assign, b, c, s, k, normalize, err)
}
