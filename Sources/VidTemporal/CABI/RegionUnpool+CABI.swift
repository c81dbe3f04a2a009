import CVidTemporal

// Exports of RegionUnpool.

private func unpoolForward<T: KernelScalar>(_ function: String, _ r: UnsafePointer<T>?, _ assign: UnsafePointer<T>?,
                                            _ y: UnsafeMutablePointer<T>?, _ b: Int64, _ c: Int64, _ s: Int64,
                                            _ k: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try RegionPool.shape(b: b, c: c, s: s, k: k, elementSize: MemoryLayout<T>.stride)
        try requireData(r, "r", count: shape.regionCount)
        try requireData(assign, "assign", count: shape.assignCount)
        try requireData(y, "y", count: shape.pixelCount)
        try requireSeparate(outputs: [ArrayExtent(y, "y", count: shape.pixelCount)],
                            inputs: [ArrayExtent(r, "r", count: shape.regionCount),
                                     ArrayExtent(assign, "assign", count: shape.assignCount)])
        guard let y, shape.pixelCount > 0 else { return }
        RegionUnpool.forward(placeholder(r), placeholder(assign), y, shape)
    }
}

private func unpoolBackward<T: KernelScalar>(_ function: String, _ gradY: UnsafePointer<T>?, _ r: UnsafePointer<T>?,
                                             _ assign: UnsafePointer<T>?, _ gradR: UnsafeMutablePointer<T>?,
                                             _ gradAssign: UnsafeMutablePointer<T>?, _ b: Int64, _ c: Int64,
                                             _ s: Int64, _ k: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try RegionPool.shape(b: b, c: c, s: s, k: k, elementSize: MemoryLayout<T>.stride)
        try requireData(gradY, "grad_y", count: shape.pixelCount)
        try requireData(r, "r", count: shape.regionCount)
        try requireData(assign, "assign", count: shape.assignCount)
        try requireSeparate(outputs: [ArrayExtent(gradR, "grad_r", count: shape.regionCount),
                                      ArrayExtent(gradAssign, "grad_assign", count: shape.assignCount)],
                            inputs: [ArrayExtent(gradY, "grad_y", count: shape.pixelCount),
                                     ArrayExtent(r, "r", count: shape.regionCount),
                                     ArrayExtent(assign, "assign", count: shape.assignCount)])
        // Empty dims are empty GEMM sums (k = 0 zeroes the output), so one path serves all shapes.
        RegionUnpool.backward(placeholder(gradY), placeholder(r), placeholder(assign), gradR: gradR,
                              gradAssign: gradAssign, shape)
    }
}

@c @implementation
public func vt_region_unpool_forward_f32(_ r: UnsafePointer<Float>?, _ assign: UnsafePointer<Float>?,
                                         _ y: UnsafeMutablePointer<Float>?, _ b: Int64, _ c: Int64, _ s: Int64,
                                         _ k: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    unpoolForward("vt_region_unpool_forward_f32", r, assign, y, b, c, s, k, err)
}

@c @implementation
public func vt_region_unpool_forward_f64(_ r: UnsafePointer<Double>?, _ assign: UnsafePointer<Double>?,
                                         _ y: UnsafeMutablePointer<Double>?, _ b: Int64, _ c: Int64, _ s: Int64,
                                         _ k: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    unpoolForward("vt_region_unpool_forward_f64", r, assign, y, b, c, s, k, err)
}

@c @implementation
public func vt_region_unpool_backward_f32(_ grad_y: UnsafePointer<Float>?, _ r: UnsafePointer<Float>?,
                                          _ assign: UnsafePointer<Float>?, _ grad_r: UnsafeMutablePointer<Float>?,
                                          _ grad_assign: UnsafeMutablePointer<Float>?, _ b: Int64, _ c: Int64,
                                          _ s: Int64, _ k: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    unpoolBackward("vt_region_unpool_backward_f32", grad_y, r, assign, grad_r, grad_assign, b, c, s, k, err)
}

@c @implementation
public func vt_region_unpool_backward_f64(_ grad_y: UnsafePointer<Double>?, _ r: UnsafePointer<Double>?,
                                          _ assign: UnsafePointer<Double>?, _ grad_r: UnsafeMutablePointer<Double>?,
                                          _ grad_assign: UnsafeMutablePointer<Double>?, _ b: Int64, _ c: Int64,
                                          _ s: Int64, _ k: Int64, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    unpoolBackward("vt_region_unpool_backward_f64", grad_y, r, assign, grad_r, grad_assign, b, c, s, k, err)
}
