import CVidTemporal

// Exports of TemporalInterlace: validate every argument, then run the generic kernels.

private func interlaceForward<T: KernelScalar>(
    _ function: String, _ x: UnsafePointer<T>?, _ offsets: UnsafePointer<T>?, _ weights: UnsafePointer<T>?,
    _ y: UnsafeMutablePointer<T>?, _ dims: (Int64, Int64, Int64, Int64), _ numSegments: Int64, _ shiftDiv: Int64,
    _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try TemporalInterlace.shape(nt: dims.0, c: dims.1, h: dims.2, w: dims.3, numSegments: numSegments,
                                                shiftDiv: shiftDiv, groups: groups, elementSize: MemoryLayout<T>.stride)
        let parameters = try interlaceParameters(shape, offsets, weights)
        try requireData(x, "x", count: shape.count)
        try requireData(y, "y", count: shape.count)
        try requireSeparate(outputs: [ArrayExtent(y, "y", count: shape.count)],
                            inputs: [ArrayExtent(x, "x", count: shape.count),
                                     ArrayExtent(offsets, "offsets", count: shape.clips * shape.groups),
                                     ArrayExtent(weights, "weights", count: shape.frames * shape.groups)])
        guard let x, let y, let (offsets, weights) = parameters, shape.count > 0 else { return }
        TemporalInterlace.forward(x, offsets, weights, y, shape)
    }
}

/// Checks offsets and weights (present and finite where needed); nil when the clip is empty.
private func interlaceParameters<T: KernelScalar>(
    _ shape: TemporalInterlace.Shape, _ offsets: UnsafePointer<T>?, _ weights: UnsafePointer<T>?
) throws(VTError) -> (UnsafePointer<T>, UnsafePointer<T>)? {
    try requireData(offsets, "offsets", count: shape.clips * shape.groups)
    try requireData(weights, "weights", count: shape.frames * shape.groups)
    guard let offsets, let weights, shape.clips > 0 else { return nil }
    try TemporalInterlace.requireFiniteOffsets(offsets, shape)
    return (offsets, weights)
}

private func interlaceBackward<T: KernelScalar>(
    _ function: String, _ gradY: UnsafePointer<T>?, _ x: UnsafePointer<T>?, _ offsets: UnsafePointer<T>?,
    _ weights: UnsafePointer<T>?, _ gradX: UnsafeMutablePointer<T>?, _ gradOffsets: UnsafeMutablePointer<T>?,
    _ gradWeights: UnsafeMutablePointer<T>?, _ dims: (Int64, Int64, Int64, Int64), _ numSegments: Int64,
    _ shiftDiv: Int64, _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try TemporalInterlace.shape(nt: dims.0, c: dims.1, h: dims.2, w: dims.3, numSegments: numSegments,
                                                shiftDiv: shiftDiv, groups: groups, elementSize: MemoryLayout<T>.stride)
        let parameters = try interlaceParameters(shape, offsets, weights)
        try requireData(gradY, "grad_y", count: shape.count)
        try requireData(x, "x", count: shape.count)
        try requireSeparate(
            outputs: [ArrayExtent(gradX, "grad_x", count: shape.count),
                      ArrayExtent(gradOffsets, "grad_offsets", count: shape.clips * shape.groups),
                      ArrayExtent(gradWeights, "grad_weights", count: shape.frames * shape.groups)],
            inputs: [ArrayExtent(gradY, "grad_y", count: shape.count), ArrayExtent(x, "x", count: shape.count),
                     ArrayExtent(offsets, "offsets", count: shape.clips * shape.groups),
                     ArrayExtent(weights, "weights", count: shape.frames * shape.groups)])
        guard let (offsets, weights) = parameters else { return }
        guard let gradY, let x, shape.count > 0 else {
            // No pixels: the data gradient is empty and the parameter gradients are zero.
            gradOffsets?.update(repeating: 0, count: shape.clips * shape.groups)
            gradWeights?.update(repeating: 0, count: shape.frames * shape.groups)
            return
        }
        TemporalInterlace.backward(gradY, x, offsets, weights, gradX: gradX, gradOffsets: gradOffsets,
                                   gradWeights: gradWeights, shape)
    }
}

@c @implementation
public func vt_temporal_interlace_forward_f32(
    _ x: UnsafePointer<Float>?, _ offsets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?,
    _ y: UnsafeMutablePointer<Float>?, _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
    _ shift_div: Int64, _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    interlaceForward("vt_temporal_interlace_forward_f32", x, offsets, weights, y, (nt, c, h, w), num_segments,
                     shift_div, groups, err)
}

@c @implementation
public func vt_temporal_interlace_forward_f64(
    _ x: UnsafePointer<Double>?, _ offsets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
    _ y: UnsafeMutablePointer<Double>?, _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
    _ shift_div: Int64, _ groups: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    interlaceForward("vt_temporal_interlace_forward_f64", x, offsets, weights, y, (nt, c, h, w), num_segments,
                     shift_div, groups, err)
}

@c @implementation
public func vt_temporal_interlace_backward_f32(
    _ grad_y: UnsafePointer<Float>?, _ x: UnsafePointer<Float>?, _ offsets: UnsafePointer<Float>?,
    _ weights: UnsafePointer<Float>?, _ grad_x: UnsafeMutablePointer<Float>?,
    _ grad_offsets: UnsafeMutablePointer<Float>?, _ grad_weights: UnsafeMutablePointer<Float>?, _ nt: Int64,
    _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64, _ shift_div: Int64, _ groups: Int64,
    _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    interlaceBackward("vt_temporal_interlace_backward_f32", grad_y, x, offsets, weights, grad_x, grad_offsets,
                      grad_weights, (nt, c, h, w), num_segments, shift_div, groups, err)
}

@c @implementation
public func vt_temporal_interlace_backward_f64(
    _ grad_y: UnsafePointer<Double>?, _ x: UnsafePointer<Double>?, _ offsets: UnsafePointer<Double>?,
    _ weights: UnsafePointer<Double>?, _ grad_x: UnsafeMutablePointer<Double>?,
    _ grad_offsets: UnsafeMutablePointer<Double>?, _ grad_weights: UnsafeMutablePointer<Double>?, _ nt: Int64,
    _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64, _ shift_div: Int64, _ groups: Int64,
    _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    interlaceBackward("vt_temporal_interlace_backward_f64", grad_y, x, offsets, weights, grad_x, grad_offsets,
                      grad_weights, (nt, c, h, w), num_segments, shift_div, groups, err)
}
