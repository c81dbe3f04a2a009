/// Region unpooling, back to pixels with the same assignment (the paper's G_R^T):
///
///     y[b, c, s] = Σ_k assign[b, k, s] * r[b, c, k]
///
/// One GEMM per frame: y_b (C x S) = r_b (C x K) assign_b (K x S). Shapes as RegionPool.
enum RegionUnpool {
    static func forward<T: KernelScalar>(_ r: UnsafePointer<T>, _ assign: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                         _ shape: RegionPool.Shape) {
        let pointers = UnsafeTransfer((r, assign, y))
        let (c, s, k) = (shape.channels, shape.positions, shape.regions)
        RegionPool.forEachFrame(shape) { b in
            let (r, assign, y) = pointers.value
            BLAS.gemm(m: c, n: s, k: k, r + b * c * k, lda: k, assign + b * k * s, ldb: s, y + b * c * s, ldc: s)
        }
    }

    /// grad_r_b = grad_y_b assign_b^T; grad_assign_b = r_b^T grad_y_b. A nil output is not computed.
    static func backward<T: KernelScalar>(_ gradY: UnsafePointer<T>, _ r: UnsafePointer<T>, _ assign: UnsafePointer<T>,
                                          gradR: UnsafeMutablePointer<T>?, gradAssign: UnsafeMutablePointer<T>?,
                                          _ shape: RegionPool.Shape) {
        let pointers = UnsafeTransfer((gradY, r, assign, gradR, gradAssign))
        let (c, s, k) = (shape.channels, shape.positions, shape.regions)
        RegionPool.forEachFrame(shape) { b in
            let (gradY, r, assign, gradR, gradAssign) = pointers.value
            if let gradR {
                BLAS.gemm(transposeB: true, m: c, n: k, k: s, gradY + b * c * s, lda: s, assign + b * k * s, ldb: s,
                          gradR + b * c * k, ldc: k)
            }
            if let gradAssign {
                BLAS.gemm(transposeA: true, m: k, n: s, k: c, r + b * c * k, lda: k, gradY + b * c * s, ldb: s,
                          gradAssign + b * k * s, ldc: s)
            }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension RegionUnpool {
    static func forward<T: KernelScalar>(_ a: RegionUnpoolForwardArguments, _: T.Type) throws(VTError) {
        let shape = RegionPool.shape(b: a.b, c: a.c, s: a.s, k: a.k)
        guard shape.pixelCount > 0 else { return }
        try RegionPool.requireBLASSizes(shape, channels: "r.shape[1] (C)", argument: "r")
        forward(a.r.pointer(T.self), a.assign.pointer(), a.y.mutablePointer(), shape)
    }

    static func backward<T: KernelScalar>(_ a: RegionUnpoolBackwardArguments, _: T.Type) throws(VTError) {
        let shape = RegionPool.shape(b: a.b, c: a.c, s: a.s, k: a.k)
        // An empty gradient is skipped like an absent one, so the frames are walked only for output
        // (which an empty GEMM sum, s = 0 or c = 0, zeroes).
        let gradR = shape.regionCount > 0 ? a.gradR?.mutablePointer(T.self) : nil
        let gradAssign = shape.assignCount > 0 ? a.gradAssign?.mutablePointer(T.self) : nil
        guard gradR != nil || gradAssign != nil else { return }
        try RegionPool.requireBLASSizes(shape, channels: "r.shape[1] (C)", argument: "r")
        backward(a.grad.pointer(T.self), a.r.pointer(), a.assign.pointer(), gradR: gradR, gradAssign: gradAssign, shape)
    }
}
