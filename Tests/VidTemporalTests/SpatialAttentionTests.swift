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
        let bad = [Float](repeating: .nan, count: 4)
        XCTAssertEqual(vt_spatial_attention_backward_f32(buffer, buffer, buffer, buffer, bad, &out, nil, nil, 1, 2, 2, 4,
                                                         &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("lse[0, 0] = nan is not finite"), message(error))
        let overlap = out.withUnsafeMutableBufferPointer { o in
            vt_spatial_attention_forward_f32(buffer, buffer, buffer, o.baseAddress, o.baseAddress! + 4, 1, 2, 2, 4, &error)
        }
        XCTAssertEqual(overlap, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("lse overlaps y"), message(error))
    }
}
