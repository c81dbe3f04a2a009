import CVidTemporal

// A sampled correlation's output size along one axis, which the op table's spatial correlation
// functions derive their output's height and width from.

@c @implementation
public func vt_spatial_correlation_sample_output_size(_ size: Int64, _ kernel_size: Int64, _ padding: Int64,
                                                      _ dilation: Int64, _ stride: Int64,
                                                      _ count: UnsafeMutablePointer<Int64>?,
                                                      _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_spatial_correlation_sample_output_size", err) { () throws(VTError) in
        guard let count else { throw .nullPointer("count is NULL", argument: "count") }
        count.pointee = Int64(try SpatialCorrelationSample.outputSize(Int(size), Int(kernel_size), Int(padding),
                                                                      Int(dilation), Int(stride)))
    }
}
