import CVidTemporal

// Exports of TemporalShift: validate, then call the byte kernels with the dtype's element size.

/// The out-of-place forward (adjoint = false) or backward (adjoint = true).
private func shift(_ function: String, _ input: UnsafeRawPointer?, _ inputName: String,
                   _ output: UnsafeMutableRawPointer?, _ outputName: String,
                   _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ numSegments: Int64, _ foldDiv: Int64,
                   _ mode: Int32, elementSize: Int, adjoint: Bool, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try TemporalShift.shape(nt: nt, c: c, h: h, w: w, numSegments: numSegments, foldDiv: foldDiv,
                                            mode: mode, elementSize: elementSize, tensor: inputName)
        try requireData(input, inputName, count: shape.count)
        try requireData(output, outputName, count: shape.count)
        try requireDisjoint(output, outputName, input, inputName, bytes: shape.count * elementSize)
        guard let input, let output, shape.count > 0 else { return }
        TemporalShift.apply(input, output, shape, elementSize: elementSize, adjoint: adjoint)
    }
}

private func shiftInPlace(_ function: String, _ data: UnsafeMutableRawPointer?, _ name: String,
                          _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ numSegments: Int64, _ foldDiv: Int64,
                          _ mode: Int32, elementSize: Int, adjoint: Bool, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try TemporalShift.shape(nt: nt, c: c, h: h, w: w, numSegments: numSegments, foldDiv: foldDiv,
                                            mode: mode, elementSize: elementSize, tensor: name)
        try requireData(data, name, count: shape.count)
        guard let data, shape.count > 0 else { return }
        TemporalShift.applyInPlace(data, shape, elementSize: elementSize, adjoint: adjoint)
    }
}

@c @implementation
public func vt_temporal_shift_forward_f32(_ x: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?,
                                          _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
                                          _ fold_div: Int64, _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shift("vt_temporal_shift_forward_f32", x, "x", y, "y", nt, c, h, w, num_segments, fold_div, mode,
          elementSize: 4, adjoint: false, err)
}

@c @implementation
public func vt_temporal_shift_forward_f64(_ x: UnsafePointer<Double>?, _ y: UnsafeMutablePointer<Double>?,
                                          _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
                                          _ fold_div: Int64, _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shift("vt_temporal_shift_forward_f64", x, "x", y, "y", nt, c, h, w, num_segments, fold_div, mode,
          elementSize: 8, adjoint: false, err)
}

@c @implementation
public func vt_temporal_shift_backward_f32(_ grad_y: UnsafePointer<Float>?, _ grad_x: UnsafeMutablePointer<Float>?,
                                           _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
                                           _ fold_div: Int64, _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shift("vt_temporal_shift_backward_f32", grad_y, "grad_y", grad_x, "grad_x", nt, c, h, w, num_segments, fold_div,
          mode, elementSize: 4, adjoint: true, err)
}

@c @implementation
public func vt_temporal_shift_backward_f64(_ grad_y: UnsafePointer<Double>?, _ grad_x: UnsafeMutablePointer<Double>?,
                                           _ nt: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ num_segments: Int64,
                                           _ fold_div: Int64, _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shift("vt_temporal_shift_backward_f64", grad_y, "grad_y", grad_x, "grad_x", nt, c, h, w, num_segments, fold_div,
          mode, elementSize: 8, adjoint: true, err)
}

@c @implementation
public func vt_temporal_shift_inplace_forward_f32(_ x: UnsafeMutablePointer<Float>?, _ nt: Int64, _ c: Int64,
                                                  _ h: Int64, _ w: Int64, _ num_segments: Int64, _ fold_div: Int64,
                                                  _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shiftInPlace("vt_temporal_shift_inplace_forward_f32", x, "x", nt, c, h, w, num_segments, fold_div, mode,
                 elementSize: 4, adjoint: false, err)
}

@c @implementation
public func vt_temporal_shift_inplace_forward_f64(_ x: UnsafeMutablePointer<Double>?, _ nt: Int64, _ c: Int64,
                                                  _ h: Int64, _ w: Int64, _ num_segments: Int64, _ fold_div: Int64,
                                                  _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shiftInPlace("vt_temporal_shift_inplace_forward_f64", x, "x", nt, c, h, w, num_segments, fold_div, mode,
                 elementSize: 8, adjoint: false, err)
}

@c @implementation
public func vt_temporal_shift_inplace_backward_f32(_ grad: UnsafeMutablePointer<Float>?, _ nt: Int64, _ c: Int64,
                                                   _ h: Int64, _ w: Int64, _ num_segments: Int64, _ fold_div: Int64,
                                                   _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shiftInPlace("vt_temporal_shift_inplace_backward_f32", grad, "grad", nt, c, h, w, num_segments, fold_div, mode,
                 elementSize: 4, adjoint: true, err)
}

@c @implementation
public func vt_temporal_shift_inplace_backward_f64(_ grad: UnsafeMutablePointer<Double>?, _ nt: Int64, _ c: Int64,
                                                   _ h: Int64, _ w: Int64, _ num_segments: Int64, _ fold_div: Int64,
                                                   _ mode: Int32, _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    shiftInPlace("vt_temporal_shift_inplace_backward_f64", grad, "grad", nt, c, h, w, num_segments, fold_div, mode,
                 elementSize: 8, adjoint: true, err)
}
