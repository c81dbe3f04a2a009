/// Region pooling for region GTA (the paper's X_G = G_R X with G_R = W_G X^T, computed by the
/// caller as a 1x1 conv with K outputs):
///
///     r[b, c, k] = scale * Σ_s assign[b, k, s] * x[b, c, s],   scale = 1/S when normalized
///
/// One GEMM per frame: r_b (C x K) = scale * x_b (C x S) assign_b^T (S x K).
enum RegionPool {
    /// The dims shared by region pooling and unpooling: x (B, C, S), assign (B, K, S), r (B, C, K).
    struct Shape: Sendable {
        let frames: Int
        let channels: Int
        let positions: Int
        let regions: Int

        var pixelCount: Int { frames * channels * positions }
        var assignCount: Int { frames * regions * positions }
        var regionCount: Int { frames * channels * regions }
    }

    /// The dims of a pooling or unpooling call (already checked against the op table).
    static func shape(b: Int, c: Int, s: Int, k: Int) -> Shape {
        Shape(frames: b, channels: c, positions: s, regions: k)
    }

    /// The GEMM sizes must fit BLAS: checked once there is work (`channels` names C's dim of the
    /// tensor `argument`).
    static func requireBLASSizes(_ shape: Shape, channels: StaticString, argument: String) throws(VTError) {
        try requireBLASSize(shape.channels, channels, argument: argument)
        try requireBLASSize(shape.positions, "assign.shape[2] (S)", argument: "assign")
        try requireBLASSize(shape.regions, "assign.shape[1] (K)", argument: "assign")
    }

    static func scale<T: KernelScalar>(_ shape: Shape, normalize: Bool) -> T {
        normalize && shape.positions > 0 ? 1 / T(shape.positions) : 1
    }

    /// Runs body(frame) for every frame in parallel.
    static func forEachFrame(_ shape: Shape, _ body: @Sendable (Int) -> Void) {
        parallelFor(shape.frames, bytesPerItem: shape.channels * shape.positions * MemoryLayout<Float>.stride) { frames in
            for frame in frames { body(frame) }
        }
    }

    static func forward<T: KernelScalar>(_ x: UnsafePointer<T>, _ assign: UnsafePointer<T>, _ r: UnsafeMutablePointer<T>,
                                         _ shape: Shape, normalize: Bool) {
        let pointers = UnsafeTransfer((x, assign, r))
        let alpha: T = scale(shape, normalize: normalize)
        let (c, s, k) = (shape.channels, shape.positions, shape.regions)
        forEachFrame(shape) { b in
            let (x, assign, r) = pointers.value
            BLAS.gemm(transposeB: true, m: c, n: k, k: s, alpha: alpha, x + b * c * s, lda: s, assign + b * k * s,
                      ldb: s, r + b * c * k, ldc: k)
        }
    }

    /// grad_x_b = scale * grad_r_b assign_b; grad_assign_b = scale * grad_r_b^T x_b. A nil output
    /// is not computed.
    static func backward<T: KernelScalar>(_ gradR: UnsafePointer<T>, _ x: UnsafePointer<T>, _ assign: UnsafePointer<T>,
                                          gradX: UnsafeMutablePointer<T>?, gradAssign: UnsafeMutablePointer<T>?,
                                          _ shape: Shape, normalize: Bool) {
        let pointers = UnsafeTransfer((gradR, x, assign, gradX, gradAssign))
        let alpha: T = scale(shape, normalize: normalize)
        let (c, s, k) = (shape.channels, shape.positions, shape.regions)
        forEachFrame(shape) { b in
            let (gradR, x, assign, gradX, gradAssign) = pointers.value
            if let gradX {
                BLAS.gemm(m: c, n: s, k: k, alpha: alpha, gradR + b * c * k, lda: k, assign + b * k * s, ldb: s,
                          gradX + b * c * s, ldc: s)
            }
            if let gradAssign {
                BLAS.gemm(transposeA: true, m: k, n: s, k: c, alpha: alpha, gradR + b * c * k, lda: k, x + b * c * s,
                          ldb: s, gradAssign + b * k * s, ldc: s)
            }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension RegionPool {
    static func forward<T: KernelScalar>(_ a: RegionPoolForwardArguments, _: T.Type) throws(VTError) {
        let shape = shape(b: a.b, c: a.c, s: a.s, k: a.k)
        guard shape.regionCount > 0 else { return }
        try requireBLASSizes(shape, channels: "x.shape[1] (C)", argument: "x")
        forward(a.x.pointer(T.self), a.assign.pointer(), a.r.mutablePointer(), shape, normalize: a.normalize)
    }

    static func backward<T: KernelScalar>(_ a: RegionPoolBackwardArguments, _: T.Type) throws(VTError) {
        let shape = shape(b: a.b, c: a.c, s: a.s, k: a.k)
        // An empty gradient is skipped like an absent one, so the frames are walked only for output
        // (which an empty GEMM sum, k = 0 or c = 0, zeroes).
        let gradX = shape.pixelCount > 0 ? a.gradX?.mutablePointer(T.self) : nil
        let gradAssign = shape.assignCount > 0 ? a.gradAssign?.mutablePointer(T.self) : nil
        guard gradX != nil || gradAssign != nil else { return }
        try requireBLASSizes(shape, channels: "x.shape[1] (C)", argument: "x")
        backward(a.grad.pointer(T.self), a.x.pointer(), a.assign.pointer(), gradX: gradX, gradAssign: gradAssign,
                 shape, normalize: a.normalize)
    }
}
