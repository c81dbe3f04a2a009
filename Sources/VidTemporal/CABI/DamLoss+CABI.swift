import CVidTemporal

// Exports of DamLoss.

private func lossForward<T: KernelScalar>(_ function: String, _ p: UnsafePointer<T>?, _ labels: UnsafePointer<T>?,
                                          _ loss: UnsafeMutablePointer<T>?, _ count: Int64,
                                          _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let count = try dimension(count, "count")
        _ = try elementCount([count], elementSize: MemoryLayout<T>.stride, tensor: "p")
        guard count > 0 else { throw .shapeMismatch("count=0: the mean of no elements is undefined") }
        try requireData(p, "p", count: count)
        try requireData(labels, "labels", count: count)
        guard let p, let labels, let loss else { throw .nullPointer("loss is NULL") }
        try requireSeparate(outputs: [ArrayExtent(loss, "loss", count: 1)],
                            inputs: [ArrayExtent(p, "p", count: count), ArrayExtent(labels, "labels", count: count)])
        try DamLoss.validate(p, labels, count: count)
        loss.pointee = DamLoss.forward(p, labels, count: count)
    }
}

private func lossBackward<T: KernelScalar>(_ function: String, _ gradLoss: UnsafePointer<T>?, _ p: UnsafePointer<T>?,
                                           _ labels: UnsafePointer<T>?, _ gradP: UnsafeMutablePointer<T>?,
                                           _ gradLabels: UnsafeMutablePointer<T>?, _ count: Int64,
                                           _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let count = try dimension(count, "count")
        _ = try elementCount([count], elementSize: MemoryLayout<T>.stride, tensor: "p")
        guard count > 0 else { throw .shapeMismatch("count=0: the mean of no elements is undefined") }
        guard let gradLoss else { throw .nullPointer("grad_loss is NULL") }
        try requireData(p, "p", count: count)
        try requireData(labels, "labels", count: count)
        let (p, labels) = (placeholder(p), placeholder(labels))   // count > 0: both present
        try requireSeparate(outputs: [ArrayExtent(gradP, "grad_p", count: count),
                                      ArrayExtent(gradLabels, "grad_labels", count: count)],
                            inputs: [ArrayExtent(p, "p", count: count), ArrayExtent(labels, "labels", count: count),
                                     ArrayExtent(gradLoss, "grad_loss", count: 1)])
        try DamLoss.validate(p, labels, count: count)
        DamLoss.backward(gradLoss.pointee, p, labels, gradP: gradP, gradLabels: gradLabels, count: count)
    }
}

@c @implementation
public func vt_dam_loss_forward_f32(_ p: UnsafePointer<Float>?, _ labels: UnsafePointer<Float>?,
                                    _ loss: UnsafeMutablePointer<Float>?, _ count: Int64,
                                    _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    lossForward("vt_dam_loss_forward_f32", p, labels, loss, count, err)
}

@c @implementation
public func vt_dam_loss_forward_f64(_ p: UnsafePointer<Double>?, _ labels: UnsafePointer<Double>?,
                                    _ loss: UnsafeMutablePointer<Double>?, _ count: Int64,
                                    _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    lossForward("vt_dam_loss_forward_f64", p, labels, loss, count, err)
}

@c @implementation
public func vt_dam_loss_backward_f32(_ grad_loss: UnsafePointer<Float>?, _ p: UnsafePointer<Float>?,
                                     _ labels: UnsafePointer<Float>?, _ grad_p: UnsafeMutablePointer<Float>?,
                                     _ grad_labels: UnsafeMutablePointer<Float>?, _ count: Int64,
                                     _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    lossBackward("vt_dam_loss_backward_f32", grad_loss, p, labels, grad_p, grad_labels, count, err)
}

@c @implementation
public func vt_dam_loss_backward_f64(_ grad_loss: UnsafePointer<Double>?, _ p: UnsafePointer<Double>?,
                                     _ labels: UnsafePointer<Double>?, _ grad_p: UnsafeMutablePointer<Double>?,
                                     _ grad_labels: UnsafeMutablePointer<Double>?, _ count: Int64,
                                     _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    lossBackward("vt_dam_loss_backward_f64", grad_loss, p, labels, grad_p, grad_labels, count, err)
}
