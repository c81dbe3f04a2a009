import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Correlation against the definition, the bilinear adjoint identities of its backward, and
/// bad input.
final class CorrelationTests: XCTestCase {
    struct Case { var b: Int, c: Int, h: Int, w: Int, patch: Int, dilation: Int }
    // P = 1; dilation 2; P larger than the image; non-square; an empty channel dim. Rows at
    // least 8 wide take float32's tiled kernels: widths 8 (one block), 11 and 19 (an overlapping
    // last block), channels not a multiple of 4, row counts not a multiple of 3 (times the dilation).
    static let cases = [Case(b: 2, c: 3, h: 4, w: 5, patch: 1, dilation: 1), Case(b: 1, c: 4, h: 6, w: 5, patch: 3, dilation: 2),
                        Case(b: 2, c: 2, h: 2, w: 3, patch: 7, dilation: 1), Case(b: 1, c: 5, h: 9, w: 4, patch: 5, dilation: 1),
                        Case(b: 1, c: 0, h: 3, w: 3, patch: 3, dilation: 1), Case(b: 2, c: 5, h: 7, w: 11, patch: 5, dilation: 1),
                        Case(b: 1, c: 6, h: 8, w: 8, patch: 3, dilation: 2), Case(b: 1, c: 3, h: 5, w: 19, patch: 25, dilation: 1),
                        Case(b: 1, c: 9, h: 10, w: 9, patch: 7, dilation: 3), Case(b: 1, c: 2, h: 4, w: 10, patch: 1, dilation: 1),
                        Case(b: 1, c: 0, h: 3, w: 9, patch: 3, dilation: 1)]

    func forward(_ k: Case, _ f1: [Double], _ f2: [Double]) -> [Double] {
        var out = [Double](repeating: -7, count: k.b * k.patch * k.patch * k.h * k.w)
        var error = vt_error()
        XCTAssertEqual(vt_correlation_forward_f64(f1, f2, &out, Int64(k.b), Int64(k.c), Int64(k.h), Int64(k.w),
                                                  Int64(k.patch), Int64(k.dilation), &error), Int32(VT_OK), message(error))
        return out
    }

    func testForwardEqualsDefinition() {
        var random = SeededRandom(seed: 100)
        for k in Self.cases {
            let f1: [Double] = random.uniform(k.b * k.c * k.h * k.w), f2: [Double] = random.uniform(k.b * k.c * k.h * k.w)
            let want = CorrelationReference.forward(f1, f2, b: k.b, c: k.c, h: k.h, w: k.w, patch: k.patch,
                                                    dilation: k.dilation)
            assertClose(forward(k, f1, f2), want, Tolerance.of("gemm", .float64), "\(k)")
            var out32 = [Float](repeating: -7, count: want.count)
            XCTAssertEqual(vt_correlation_forward_f32(f1.map(Float.init), f2.map(Float.init), &out32, Int64(k.b),
                                                      Int64(k.c), Int64(k.h), Int64(k.w), Int64(k.patch),
                                                      Int64(k.dilation), nil), Int32(VT_OK))
            assertClose(out32, want, Tolerance.of("gemm", .float32), "float32 \(k)")
        }
    }

    /// corr is bilinear: <corr(f1, f2), g> = <f1, grad_f1(g)> = <f2, grad_f2(g)>.
    func testBackwardAdjoints() {
        var random = SeededRandom(seed: 101)
        for k in Self.cases {
            let n = k.b * k.c * k.h * k.w
            let f1: [Double] = random.uniform(n), f2: [Double] = random.uniform(n)
            let g: [Double] = random.uniform(k.b * k.patch * k.patch * k.h * k.w)
            var (g1, g2) = ([Double](repeating: -7, count: n), [Double](repeating: -7, count: n))
            XCTAssertEqual(vt_correlation_backward_f64(g, f1, f2, &g1, &g2, Int64(k.b), Int64(k.c), Int64(k.h),
                                                       Int64(k.w), Int64(k.patch), Int64(k.dilation), nil), Int32(VT_OK))
            let value = dot(forward(k, f1, f2), g)
            let tolerance = Tolerance.of("adjoint", .float64) * max(1, abs(value))
            XCTAssertEqual(value, dot(f1, g1), accuracy: tolerance, "in f1 \(k)")
            XCTAssertEqual(value, dot(f2, g2), accuracy: tolerance, "in f2 \(k)")
        }
    }

    /// Both dtypes' gradients against the definition's.
    func testBackwardEqualsDefinition() {
        var random = SeededRandom(seed: 102)
        for k in Self.cases {
            let n = k.b * k.c * k.h * k.w
            let f1: [Double] = random.uniform(n), f2: [Double] = random.uniform(n)
            let g: [Double] = random.uniform(k.b * k.patch * k.patch * k.h * k.w)
            let want = CorrelationReference.backward(g, f1, f2, b: k.b, c: k.c, h: k.h, w: k.w, patch: k.patch,
                                                     dilation: k.dilation)
            var (g1, g2) = ([Double](repeating: -7, count: n), [Double](repeating: -7, count: n))
            XCTAssertEqual(vt_correlation_backward_f64(g, f1, f2, &g1, &g2, Int64(k.b), Int64(k.c), Int64(k.h),
                                                       Int64(k.w), Int64(k.patch), Int64(k.dilation), nil), Int32(VT_OK))
            assertClose(g1, want.gradF1, Tolerance.of("gemm", .float64), "grad_f1 \(k)")
            assertClose(g2, want.gradF2, Tolerance.of("gemm", .float64), "grad_f2 \(k)")
            var (h1, h2) = ([Float](repeating: -7, count: n), [Float](repeating: -7, count: n))
            XCTAssertEqual(vt_correlation_backward_f32(g.map(Float.init), f1.map(Float.init), f2.map(Float.init), &h1, &h2,
                                                       Int64(k.b), Int64(k.c), Int64(k.h), Int64(k.w), Int64(k.patch),
                                                       Int64(k.dilation), nil), Int32(VT_OK))
            assertClose(h1, want.gradF1, Tolerance.of("gemm", .float32), "float32 grad_f1 \(k)")
            assertClose(h2, want.gradF2, Tolerance.of("gemm", .float32), "float32 grad_f2 \(k)")
        }
    }

    func testErrors() {
        let buffer = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: -7, count: 64)
        var error = vt_error()
        XCTAssertEqual(vt_correlation_forward_f32(buffer, buffer, &out, 1, 1, 2, 2, 4, 1, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(message(error), "vt_correlation_forward_f32: patch_size=4 must be odd")
        XCTAssertEqual(vt_correlation_forward_f32(buffer, buffer, &out, 1, 1, 2, 2, 3, 0, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("dilation_patch=0"), message(error))
        XCTAssertEqual(vt_correlation_forward_f32(buffer, nil, &out, 1, 1, 2, 2, 3, 1, &error), Int32(VT_ERR_NULL_POINTER))
        // A dilation so large that the padded rows could not be addressed: an error, not a trap.
        XCTAssertEqual(vt_correlation_forward_f32(buffer, buffer, &out, 1, 1, 1, 8, 3, 1 << 58, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("overflows"), message(error))
        XCTAssertEqual(out, [Float](repeating: -7, count: 64))
    }
}
