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

    /// The dims of a pooling or unpooling call (already checked against the op table); the GEMM
    /// sizes must fit BLAS.
    static func shape(b: Int, c: Int, s: Int, k: Int) throws(VTError) -> Shape {
        try requireBLASSize(c, "c")
        try requireBLASSize(s, "s")
        try requireBLASSize(k, "k")
        return Shape(frames: b, channels: c, positions: s, regions: k)
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

// MARK: The exported functions (their tensors are checked against the op table)

extension RegionPool {
    static func forward(_ a: RegionPoolForwardArguments) throws(VTError) {
        switch a.dtype {
        case .float32: try forward(a, Float.self)
        case .float64: try forward(a, Double.self)
        case .int64: throw .internalError("no floating kernel for int64 tensors")
        }
    }

    static func backward(_ a: RegionPoolBackwardArguments) throws(VTError) {
        switch a.dtype {
        case .float32: try backward(a, Float.self)
        case .float64: try backward(a, Double.self)
        case .int64: throw .internalError("no floating kernel for int64 tensors")
        }
    }

    private static func forward<T: KernelScalar>(_ a: RegionPoolForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, c: a.c, s: a.s, k: a.k)
        guard shape.regionCount > 0 else { return }
        forward(a.x.pointer(T.self), a.assign.pointer(), a.r.mutablePointer(), shape, normalize: a.normalize)
    }

    private static func backward<T: KernelScalar>(_ a: RegionPoolBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, c: a.c, s: a.s, k: a.k)
        // Empty dims are empty GEMM sums (k = 0 zeroes the output), so one path serves all shapes.
        backward(a.gradR.pointer(T.self), a.x.pointer(), a.assign.pointer(), gradX: a.gradX?.mutablePointer(),
                 gradAssign: a.gradAssign?.mutablePointer(), shape, normalize: a.normalize)
    }
}
