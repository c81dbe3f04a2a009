#if canImport(Accelerate)
import Accelerate  // Darwin: Accelerate's CBLAS (single-threaded per call unless asked otherwise)
#else
import COpenBLAS
#endif
import Synchronization

/// Row-major GEMM for the kernels' scalar types: C = alpha * op(A) op(B) + beta * C.
///
/// OpenBLAS runs single-threaded: the kernels split work themselves into tasks whose layout
/// does not depend on the thread count, so results are identical for any `vt_set_num_threads`.
enum BLAS {
    private static let configured = Atomic<Bool>(false)

    /// Makes OpenBLAS single-threaded; `cabiCall` runs it on the calling thread before any task
    /// starts. Not a lazy global read by the tasks: in a child forked from a process that used
    /// Swift, the runtime's lock behind a lazy global keeps the parent's thread id, and a task
    /// waiting on it while the calling thread initializes it waits forever.
    static func configure() {
        guard !configured.load(ordering: .acquiring) else { return }
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
        configured.store(true, ordering: .releasing)
    }

    /// What vt_get_blas_info reports: name, version, kernel set, threads per call.
    static func info() -> (name: String, version: String, core: String, threads: Int) {
        configure()
        #if canImport(Accelerate)
        return ("Accelerate", "", "", 1)
        #else
        // "OpenBLAS 0.3.34.481.3 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"
        let config = String(cString: openblas_get_config()).split(separator: " ")
        let version = config.count > 1 && config[0] == "OpenBLAS" ? String(config[1]) : ""
        return ("OpenBLAS", version, String(cString: openblas_get_corename()), Int(openblas_get_num_threads()))
        #endif
    }

    static func gemm<T: KernelScalar>(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                      alpha: T = 1, _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                                      beta: T = 0, _ c: UnsafeMutablePointer<T>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty sum: OpenBLAS would reject the zero leading dimensions.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        if m == 1 {
            // A row vector times B: GEMV, which skips GEMM's packing of the whole of B.
            gemv(transpose: !transposeB, rows: transposeB ? n : k, columns: transposeB ? k : n, alpha: alpha, b,
                 ld: ldb, a, increment: transposeA ? lda : 1, beta: beta, c)
            return
        }
        let ta = transposeA ? CblasTrans : CblasNoTrans
        let tb = transposeB ? CblasTrans : CblasNoTrans
        if T.self == Float.self {
            a.withMemoryRebound(to: Float.self, capacity: 1) { a in
                b.withMemoryRebound(to: Float.self, capacity: 1) { b in
                    c.withMemoryRebound(to: Float.self, capacity: 1) { c in
                        cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Float(alpha), a, Int32(lda),
                                    b, Int32(ldb), Float(beta), c, Int32(ldc))
                    }
                }
            }
        } else {
            a.withMemoryRebound(to: Double.self, capacity: 1) { a in
                b.withMemoryRebound(to: Double.self, capacity: 1) { b in
                    c.withMemoryRebound(to: Double.self, capacity: 1) { c in
                        cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Double(alpha), a, Int32(lda),
                                    b, Int32(ldb), Double(beta), c, Int32(ldc))
                    }
                }
            }
        }
    }

    /// y = alpha * op(M) x + beta * y for the row-major rows x columns matrix M.
    private static func gemv<T: KernelScalar>(transpose: Bool, rows: Int, columns: Int, alpha: T, _ matrix: UnsafePointer<T>,
                                              ld: Int, _ x: UnsafePointer<T>, increment: Int, beta: T,
                                              _ y: UnsafeMutablePointer<T>) {
        let trans = transpose ? CblasTrans : CblasNoTrans
        if T.self == Float.self {
            matrix.withMemoryRebound(to: Float.self, capacity: 1) { m in
                x.withMemoryRebound(to: Float.self, capacity: 1) { x in
                    y.withMemoryRebound(to: Float.self, capacity: 1) { y in
                        cblas_sgemv(CblasRowMajor, trans, Int32(rows), Int32(columns), Float(alpha), m, Int32(ld), x,
                                    Int32(increment), Float(beta), y, 1)
                    }
                }
            }
        } else {
            matrix.withMemoryRebound(to: Double.self, capacity: 1) { m in
                x.withMemoryRebound(to: Double.self, capacity: 1) { x in
                    y.withMemoryRebound(to: Double.self, capacity: 1) { y in
                        cblas_dgemv(CblasRowMajor, trans, Int32(rows), Int32(columns), Double(alpha), m, Int32(ld), x,
                                    Int32(increment), Double(beta), y, 1)
                    }
                }
            }
        }
    }
}
