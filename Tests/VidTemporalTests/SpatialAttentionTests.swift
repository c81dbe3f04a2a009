import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Spatial attention against a Double softmax loop, its gradients against central differences,
/// stability at large logits, the saved log-sum-exp, and bad input.
final class SpatialAttentionTests: XCTestCase {
    struct Case { var b: Int, d: Int, dv: Int, s: Int }
    // s = 130 spans three row blocks (64, 64, 2).
    static let cases = [Case(b: 2, d: 3, dv: 2, s: 5), Case(b: 1, d: 8, dv: 5, s: 130), Case(b: 2, d: 1, dv: 1, s: 1)]

    func forward(_ c: Case, _ q: [Double], _ k: [Double], _ v: [Double], lse: UnsafeMutablePointer<Double>? = nil)
        -> [Double] {
        var y = [Double](repeating: -7, count: c.b * c.dv * c.s)
        XCTAssertEqual(vt_spatial_attention_forward_f64(q, k, v, &y, lse, Int64(c.b), Int64(c.d), Int64(c.dv), Int64(c.s),
                                                        nil), Int32(VT_OK))
        return y
    }

    func backward(_ c: Case, _ gy: [Double], _ q: [Double], _ k: [Double], _ v: [Double],
                  lse: UnsafePointer<Double>? = nil) -> ([Double], [Double], [Double]) {
        var (gq, gk, gv) = (q, k, v)
        XCTAssertEqual(vt_spatial_attention_backward_f64(gy, q, k, v, lse, &gq, &gk, &gv, Int64(c.b), Int64(c.d),
                                                         Int64(c.dv), Int64(c.s), nil), Int32(VT_OK))
        return (gq, gk, gv)
    }

    func testForwardEqualsReference() {
        var random = SeededRandom(seed: 50)
        for c in Self.cases {
            let q: [Double] = random.uniform(c.b * c.d * c.s), k: [Double] = random.uniform(c.b * c.d * c.s)
            let v: [Double] = random.uniform(c.b * c.dv * c.s)
            let want = GTAReference.attention(q, k, v, frames: c.b, keyDim: c.d, valueDim: c.dv, positions: c.s)
            assertClose(forward(c, q, k, v), want, Tolerance.of("gemm", .float64), "\(c)")
            var y32 = [Float](repeating: -7, count: want.count)
            XCTAssertEqual(vt_spatial_attention_forward_f32(q.map(Float.init), k.map(Float.init), v.map(Float.init), &y32,
                                                            nil, Int64(c.b), Int64(c.d), Int64(c.dv), Int64(c.s), nil),
                           Int32(VT_OK))
            assertClose(y32, want, Tolerance.of("gemm", .float32), "float32 \(c)")
        }
    }

    func testGradientsMatchFiniteDifferences() {
        var random = SeededRandom(seed: 51)
        let tolerance = Tolerance.of("finite_difference", .float64)
        for c in Self.cases.prefix(2) {
            let q: [Double] = random.uniform(c.b * c.d * c.s), k: [Double] = random.uniform(c.b * c.d * c.s)
            let v: [Double] = random.uniform(c.b * c.dv * c.s), gy: [Double] = random.uniform(c.b * c.dv * c.s)
            let (gq, gk, gv) = backward(c, gy, q, k, v)
            // Spot-check a spread of entries of each input (all of them for the small case).
            for (grad, input, name) in [(gq, q, "q"), (gk, k, "k"), (gv, v, "v")] {
                for i in stride(from: 0, to: input.count, by: max(1, input.count / 23)) {
                    let numeric = FiniteDifference.central({ x in
                        let (qq, kk, vv) = (name == "q" ? x : q, name == "k" ? x : k, name == "v" ? x : v)
                        return dot(self.forward(c, qq, kk, vv), gy)
                    }, at: input, index: i)
                    XCTAssertEqual(grad[i], numeric, accuracy: tolerance * max(1, abs(numeric)), "\(name)[\(i)] \(c)")
                }
            }
        }
    }

    func testSavedLogSumExpGivesTheSameGradients() {
        var random = SeededRandom(seed: 52)
        let c = Self.cases[1]
        let q: [Double] = random.uniform(c.b * c.d * c.s), k: [Double] = random.uniform(c.b * c.d * c.s)
        let v: [Double] = random.uniform(c.b * c.dv * c.s), gy: [Double] = random.uniform(c.b * c.dv * c.s)
        var lse = [Double](repeating: 0, count: c.b * c.s)
        _ = forward(c, q, k, v, lse: &lse)
        let with = backward(c, gy, q, k, v, lse: lse)
        let without = backward(c, gy, q, k, v)
        for (a, b) in [(with.0, without.0), (with.1, without.1), (with.2, without.2)] {
            assertClose(a, b, Tolerance.of("gemm", .float64), "lse vs recomputed")
        }
    }

    /// Inputs scaled by 1e3 give logits around 1e6: still finite, and equal to the Double reference
    /// (where the softmax is one-hot).
    func testLargeLogitsStayFinite() {
        var random = SeededRandom(seed: 53)
        let c = Case(b: 2, d: 4, dv: 3, s: 70)
        let q: [Float] = random.uniform(c.b * c.d * c.s).map { $0 * 1000 }
        let k: [Float] = random.uniform(c.b * c.d * c.s).map { $0 * 1000 }
        let v: [Float] = random.uniform(c.b * c.dv * c.s), gy: [Float] = random.uniform(c.b * c.dv * c.s)
        var y = [Float](repeating: 0, count: v.count)
        var lse = [Float](repeating: 0, count: c.b * c.s)
        XCTAssertEqual(vt_spatial_attention_forward_f32(q, k, v, &y, &lse, 2, 4, 3, 70, nil), Int32(VT_OK))
        let want = GTAReference.attention(q.map(Double.init), k.map(Double.init), v.map(Double.init), frames: c.b,
                                          keyDim: c.d, valueDim: c.dv, positions: c.s)
        assertClose(y, want, 1e-4, "large logits")
        var (gq, gk, gv) = (q, k, v)
        XCTAssertEqual(vt_spatial_attention_backward_f32(gy, q, k, v, lse, &gq, &gk, &gv, 2, 4, 3, 70, nil), Int32(VT_OK))
        XCTAssertTrue((gq + gk + gv + lse).allSatisfy(\.isFinite))
    }

    /// With v the identity (dv = S), y[:, i] is row i of the softmax itself: every probability,
    /// hence every exp over [-95, 0] (past the -87.3 cut) and the vector tail (S = 1001), is checked
    /// against Double.
    func testSoftmaxProbabilitiesAcrossTheExpRange() {
        let s = 1001
        let q = [Float](repeating: 1, count: s)
        let k = (0..<s).map { Float(-95 + 95 * Double($0) / Double(s - 1)) }
        var v = [Float](repeating: 0, count: s * s)
        for j in 0..<s { v[j * s + j] = 1 }
        var y = [Float](repeating: -7, count: s * s)
        XCTAssertEqual(vt_spatial_attention_forward_f32(q, k, v, &y, nil, 1, 1, Int64(s), Int64(s), nil), Int32(VT_OK))
        let logits = k.map(Double.init)
        let total = logits.map { exp($0) }.reduce(0, +)
        for j in 0..<s {
            let want = exp(logits[j]) / total
            let got = Double(y[j * s])   // row i = 0 (all rows are equal: q is constant)
            if logits[j] < -87.3 {
                XCTAssertEqual(got, 0, "below the cut, j=\(j)")
            } else if want > 1e-36 {
                XCTAssertEqual(got, want, accuracy: 1e-6 * want, "j=\(j) logit=\(logits[j])")
            }
        }
    }

    func testNaNPropagates() {
        var k = [Float](repeating: 0.5, count: 2 * 2 * 9)
        k[3] = .nan   // frame 0, key 3
        let q = [Float](repeating: 1, count: 2 * 2 * 9), v = [Float](repeating: 1, count: 2 * 3 * 9)
        var y = [Float](repeating: 0, count: 2 * 3 * 9)
        XCTAssertEqual(vt_spatial_attention_forward_f32(q, k, v, &y, nil, 2, 2, 3, 9, nil), Int32(VT_OK))
        XCTAssertTrue(y.prefix(27).allSatisfy(\.isNaN), "frame 0 attends to the NaN key from every row")
        XCTAssertTrue(y.suffix(27).allSatisfy { $0 == 1 }, "frame 1 is untouched")
    }

    /// Logits with a large shared offset (about 1e6) are not one-hot: the float32 log-sum-exp
    /// saved by the forward is rounded by about 0.06 there, and the backward must not inherit it.
    func testSavedLogSumExpAtLargeOffsetKeepsFloatAccuracy() {
        var random = SeededRandom(seed: 54)
        let (b, d, dv, s) = (1, 2, 3, 40)
        var q = [Float](repeating: 0, count: b * d * s), k = q
        for i in 0..<s {
            q[i] = 1000; k[i] = 1000 * 1.414_213_5        // row 0: the shared offset 1e6 * sqrt(2) / sqrt(2)
            q[s + i] = Float.random(in: -1...1, using: &random); k[s + i] = Float.random(in: -1...1, using: &random)
        }
        let v: [Float] = random.uniform(b * dv * s), gy: [Float] = random.uniform(b * dv * s)
        var y = [Float](repeating: 0, count: b * dv * s), lse = [Float](repeating: 0, count: b * s)
        XCTAssertEqual(vt_spatial_attention_forward_f32(q, k, v, &y, &lse, 1, 2, 3, 40, nil), Int32(VT_OK))
        var withLSE = (q, k, v), without = (q, k, v)
        XCTAssertEqual(vt_spatial_attention_backward_f32(gy, q, k, v, lse, &withLSE.0, &withLSE.1, &withLSE.2, 1, 2, 3, 40,
                                                         nil), Int32(VT_OK))
        XCTAssertEqual(vt_spatial_attention_backward_f32(gy, q, k, v, nil, &without.0, &without.1, &without.2, 1, 2, 3, 40,
                                                         nil), Int32(VT_OK))
        assertClose(withLSE.2, without.2.map(Double.init), 1e-6, "grad_v")
        assertClose(withLSE.1.suffix(s), without.1.suffix(s).map(Double.init), 1e-5, "grad_k of the varying dim")
    }

    /// Empty dims passed as NULL: d = 0 gives a uniform softmax (y = the mean of v over positions);
    /// dv = 0 still fills lse.
    func testEmptyKeyOrValueDims() {
        let v: [Double] = [1, 2, 3, 4, 5, 6]   // (1, 2, 3)
        var y = [Double](repeating: -7, count: 6), lse = [Double](repeating: -7, count: 3)
        XCTAssertEqual(vt_spatial_attention_forward_f64(nil, nil, v, &y, &lse, 1, 0, 2, 3, nil), Int32(VT_OK))
        XCTAssertEqual(y, [2, 2, 2, 5, 5, 5])
        XCTAssertEqual(lse.map { ($0 * 1e12).rounded() / 1e12 }, [Double](repeating: (log(3) * 1e12).rounded() / 1e12, count: 3))
        let q: [Double] = [1, 2, 3]
        lse = [-7, -7, -7]
        XCTAssertEqual(vt_spatial_attention_forward_f64(q, q, nil, nil, &lse, 1, 1, 0, 3, nil), Int32(VT_OK))
        XCTAssertTrue(lse.allSatisfy { $0 != -7 && $0.isFinite })
    }

    func testErrors() {
        let buffer = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: -7, count: 64)
        var error = vt_error()
        XCTAssertEqual(vt_spatial_attention_forward_f32(buffer, nil, buffer, &out, nil, 1, 2, 2, 4, &error),
                       Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_spatial_attention_forward_f32: k is NULL")
        XCTAssertEqual(vt_spatial_attention_forward_f32(buffer, buffer, buffer, &out, nil, 1, -2, 2, 4, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(out, [Float](repeating: -7, count: 64))
        // A NaN log-sum-exp (the forward's, for a row with a NaN logit) gives NaN gradients, not an error.
        let nanLSE = [Float](repeating: .nan, count: 4)
        XCTAssertEqual(vt_spatial_attention_backward_f32(buffer, buffer, buffer, buffer, nanLSE, &out, nil, nil, 1, 2, 2, 4,
                                                         &error), Int32(VT_OK))
        XCTAssertTrue(out.prefix(8).allSatisfy(\.isNaN))
        let overlap = out.withUnsafeMutableBufferPointer { o in
            vt_spatial_attention_forward_f32(buffer, buffer, buffer, o.baseAddress, o.baseAddress! + 4, 1, 2, 2, 4, &error)
        }
        XCTAssertEqual(overlap, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("lse overlaps y"), message(error))
    }
}
