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
