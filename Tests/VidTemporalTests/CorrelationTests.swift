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
                        Case(b: 1, c: 0, h: 3, w: 9, patch: 3, dilation: 1),
                        // Displacements past the image (the reachable patch is computed): some, all but the centre.
                        Case(b: 2, c: 3, h: 6, w: 9, patch: 7, dilation: 4), Case(b: 1, c: 2, h: 3, w: 8, patch: 5, dilation: 100)]

    func forward<T: ShiftScalar>(_ k: Case, _ f1: [T], _ f2: [T]) -> [T] {
        let (t1, t2) = (HostTensor(f1, shape: [k.b, k.c, k.h, k.w]), HostTensor(f2, shape: [k.b, k.c, k.h, k.w]))
        let out = HostTensor([T](repeating: -7, count: k.b * k.patch * k.patch * k.h * k.w),
                             shape: [k.b, k.patch, k.patch, k.h, k.w])
        var error = vt_error()
        XCTAssertEqual(vt_correlation_forward(t1.dl, t2.dl, out.dl, Int64(k.patch), Int64(k.dilation), &error), Int32(VT_OK),
                       message(error))
        return out.values()
    }

    func backward<T: ShiftScalar>(_ k: Case, _ g: [T], _ f1: [T], _ f2: [T]) -> ([T], [T]) {
        let dims = [k.b, k.c, k.h, k.w], n = k.b * k.c * k.h * k.w
        let (t1, t2) = (HostTensor(f1, shape: dims), HostTensor(f2, shape: dims))
        let tg = HostTensor(g, shape: [k.b, k.patch, k.patch, k.h, k.w])
        let (g1, g2) = (HostTensor([T](repeating: -7, count: n), shape: dims), HostTensor([T](repeating: -7, count: n), shape: dims))
        XCTAssertEqual(vt_correlation_backward(tg.dl, t1.dl, t2.dl, g1.dl, g2.dl, Int64(k.patch), Int64(k.dilation), nil),
                       Int32(VT_OK))
        return (g1.values(), g2.values())
    }

    func testForwardEqualsDefinition() {
        var random = SeededRandom(seed: 100)
        for k in Self.cases {
            let f1: [Double] = random.uniform(k.b * k.c * k.h * k.w), f2: [Double] = random.uniform(k.b * k.c * k.h * k.w)
            let want = CorrelationReference.forward(f1, f2, b: k.b, c: k.c, h: k.h, w: k.w, patch: k.patch,
                                                    dilation: k.dilation)
            assertClose(forward(k, f1, f2), want, Tolerance.of("gemm", .float64), "\(k)")
            assertClose(forward(k, f1.map(Float.init), f2.map(Float.init)), want, Tolerance.of("gemm", .float32), "float32 \(k)")
        }
    }

    /// corr is bilinear: <corr(f1, f2), g> = <f1, grad_f1(g)> = <f2, grad_f2(g)>.
    func testBackwardAdjoints() {
        var random = SeededRandom(seed: 101)
        for k in Self.cases {
            let n = k.b * k.c * k.h * k.w
            let f1: [Double] = random.uniform(n), f2: [Double] = random.uniform(n)
            let g: [Double] = random.uniform(k.b * k.patch * k.patch * k.h * k.w)
            let (g1, g2) = backward(k, g, f1, f2)
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
            let (g1, g2) = backward(k, g, f1, f2)
            assertClose(g1, want.gradF1, Tolerance.of("gemm", .float64), "grad_f1 \(k)")
            assertClose(g2, want.gradF2, Tolerance.of("gemm", .float64), "grad_f2 \(k)")
            let (h1, h2) = backward(k, g.map(Float.init), f1.map(Float.init), f2.map(Float.init))
            assertClose(h1, want.gradF1, Tolerance.of("gemm", .float32), "float32 grad_f1 \(k)")
            assertClose(h2, want.gradF2, Tolerance.of("gemm", .float32), "float32 grad_f2 \(k)")
        }
    }

    func testErrors() {
        let buffer = HostTensor([Float](repeating: 1, count: 64), shape: [64])
        let output = HostTensor([Float](repeating: -7, count: 64), shape: [64])
        var error = vt_error()
        func call(_ dims: [Int64], patch: Int64, dilation: Int64, f2: Bool = true) -> Int32 {
            let f32 = Float.dlType
            let f = HostTensor(shape: dims, dtype: f32, data: buffer.dl.pointee.data)
            let out = HostTensor(shape: [dims[0], patch, patch, dims[2], dims[3]], dtype: f32, data: output.dl.pointee.data)
            return vt_correlation_forward(f.dl, f2 ? f.dl : nil, out.dl, patch, dilation, &error)
        }
        XCTAssertEqual(call([1, 1, 2, 2], patch: 4, dilation: 1), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(message(error), "vt_correlation_forward: patch_size=4 must be odd")
        XCTAssertEqual(call([1, 1, 2, 2], patch: 3, dilation: 0), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("dilation_patch=0"), message(error))
        XCTAssertEqual(call([1, 1, 2, 2], patch: 3, dilation: 1, f2: false), Int32(VT_ERR_NULL_POINTER))
        // A dilation past the image is valid: only the centre displacement reaches it, and every
        // other plane samples padding, 0 (with no scratch sized by the dilation).
        let row = HostTensor((0..<8).map { Float($0) }, shape: [1, 1, 1, 8])
        for dilation: Int64 in [8, 1 << 31, 1 << 58, 1 << 62, .max] {
            let far = HostTensor([Float](repeating: -7, count: 72), shape: [1, 3, 3, 1, 8])
            XCTAssertEqual(vt_correlation_forward(row.dl, row.dl, far.dl, 3, dilation, &error), Int32(VT_OK), message(error))
            let values = far.values(Float.self)
            for plane in 0..<9 {
                XCTAssertEqual(Array(values[(plane * 8)..<(plane * 8 + 8)]), (0..<8).map { plane == 4 ? Float($0 * $0) : 0 },
                               "plane \(plane), dilation \(dilation)")
            }
        }
        // The output's P dims must be patch_size.
        let f = HostTensor([Float](repeating: 1, count: 4), shape: [1, 1, 2, 2])
        let wrong = HostTensor([Float](repeating: -7, count: 36), shape: [1, 3, 3, 2, 2])
        XCTAssertEqual(vt_correlation_forward(f.dl, f.dl, wrong.dl, 5, 1, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_correlation_forward: out.shape[1]=3 does not match patch_size=5 (P)")
        XCTAssertEqual(output.values(Float.self), [Float](repeating: -7, count: 64))
        XCTAssertEqual(wrong.values(Float.self), [Float](repeating: -7, count: 36))
    }
}
