import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Spatial attention against a Double softmax loop, its gradients against central differences,
/// stability at large logits, the saved log-sum-exp, and bad input.
final class SpatialAttentionTests: XCTestCase {
    struct Case { var b: Int, d: Int, dv: Int, s: Int }
    // s = 300 spans five row blocks (4 x 64, 44); s = 130, one block of the whole frame.
    static let cases = [Case(b: 2, d: 3, dv: 2, s: 5), Case(b: 1, d: 8, dv: 5, s: 300), Case(b: 1, d: 4, dv: 3, s: 130),
                        Case(b: 2, d: 1, dv: 1, s: 1)]

    /// (y, lse) of a forward call; lse only when asked for.
    func run<T: ShiftScalar>(_ c: Case, _ q: [T], _ k: [T], _ v: [T], lse withLSE: Bool = false) -> ([T], [T]) {
        let (tq, tk, tv) = (HostTensor(q, shape: [c.b, c.d, c.s]), HostTensor(k, shape: [c.b, c.d, c.s]),
                            HostTensor(v, shape: [c.b, c.dv, c.s]))
        let y = HostTensor([T](repeating: -7, count: c.b * c.dv * c.s), shape: [c.b, c.dv, c.s])
        let lse = HostTensor([T](repeating: -7, count: c.b * c.s), shape: [c.b, c.s])
        XCTAssertEqual(vt_spatial_attention_forward(tq.dl, tk.dl, tv.dl, y.dl, withLSE ? lse.dl : nil, nil), Int32(VT_OK))
        return (y.values(), withLSE ? lse.values() : [])
    }

    func forward(_ c: Case, _ q: [Double], _ k: [Double], _ v: [Double]) -> [Double] { run(c, q, k, v).0 }

    func backward<T: ShiftScalar>(_ c: Case, _ gy: [T], _ q: [T], _ k: [T], _ v: [T], lse: [T]? = nil) -> ([T], [T], [T]) {
        let (tq, tk, tv) = (HostTensor(q, shape: [c.b, c.d, c.s]), HostTensor(k, shape: [c.b, c.d, c.s]),
                            HostTensor(v, shape: [c.b, c.dv, c.s]))
        let (tg, tl) = (HostTensor(gy, shape: [c.b, c.dv, c.s]), lse.map { HostTensor($0, shape: [c.b, c.s]) })
        let (gq, gk, gv) = (HostTensor(q, shape: [c.b, c.d, c.s]), HostTensor(k, shape: [c.b, c.d, c.s]),
                            HostTensor(v, shape: [c.b, c.dv, c.s]))
        XCTAssertEqual(vt_spatial_attention_backward(tg.dl, tq.dl, tk.dl, tv.dl, tl?.dl, gq.dl, gk.dl, gv.dl, nil),
                       Int32(VT_OK))
        return (gq.values(), gk.values(), gv.values())
    }

    func testForwardEqualsReference() {
        var random = SeededRandom(seed: 50)
        for c in Self.cases {
            let q: [Double] = random.uniform(c.b * c.d * c.s), k: [Double] = random.uniform(c.b * c.d * c.s)
            let v: [Double] = random.uniform(c.b * c.dv * c.s)
            let want = GTAReference.attention(q, k, v, frames: c.b, keyDim: c.d, valueDim: c.dv, positions: c.s)
            assertClose(forward(c, q, k, v), want, Tolerance.of("gemm", .float64), "\(c)")
            assertClose(run(c, q.map(Float.init), k.map(Float.init), v.map(Float.init)).0, want, Tolerance.of("gemm", .float32),
                        "float32 \(c)")
        }
    }

    func testGradientsMatchFiniteDifferences() {
        var random = SeededRandom(seed: 51)
        let tolerance = Tolerance.of("finite_difference", .float64)
        for c in Self.cases.prefix(3) {
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
        let lse = run(c, q, k, v, lse: true).1
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
        let (y, lse) = run(c, q, k, v, lse: true)
        let want = GTAReference.attention(q.map(Double.init), k.map(Double.init), v.map(Double.init), frames: c.b,
                                          keyDim: c.d, valueDim: c.dv, positions: c.s)
        assertClose(y, want, 1e-4, "large logits")
        let (gq, gk, gv) = backward(c, gy, q, k, v, lse: lse)
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
        let y = run(Case(b: 1, d: 1, dv: s, s: s), q, k, v).0
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
        let y = run(Case(b: 2, d: 2, dv: 3, s: 9), q, k, v).0
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
        let c = Case(b: b, d: d, dv: dv, s: s)
        let lse = run(c, q, k, v, lse: true).1
        let withLSE = backward(c, gy, q, k, v, lse: lse), without = backward(c, gy, q, k, v)
        assertClose(withLSE.2, without.2.map(Double.init), 1e-6, "grad_v")
        assertClose(withLSE.1.suffix(s), without.1.suffix(s).map(Double.init), 1e-5, "grad_k of the varying dim")
    }

    /// Empty tensors with no data: d = 0 gives a uniform softmax (y = the mean of v over
    /// positions); dv = 0 still fills lse.
    func testEmptyKeyOrValueDims() {
        let f64 = Double.dlType
        let v = HostTensor([Double]([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3])
        let (q0, k0) = (HostTensor(shape: [1, 0, 3], dtype: f64, data: nil), HostTensor(shape: [1, 0, 3], dtype: f64, data: nil))
        let y = HostTensor([Double](repeating: -7, count: 6), shape: [1, 2, 3])
        let lse = HostTensor([Double](repeating: -7, count: 3), shape: [1, 3])
        XCTAssertEqual(vt_spatial_attention_forward(q0.dl, k0.dl, v.dl, y.dl, lse.dl, nil), Int32(VT_OK))
        XCTAssertEqual(y.values(Double.self), [2, 2, 2, 5, 5, 5])
        XCTAssertEqual(lse.values(Double.self).map { ($0 * 1e12).rounded() / 1e12 },
                       [Double](repeating: (log(3) * 1e12).rounded() / 1e12, count: 3))
        let q = HostTensor([Double]([1, 2, 3]), shape: [1, 1, 3])
        let (v0, y0) = (HostTensor(shape: [1, 0, 3], dtype: f64, data: nil), HostTensor(shape: [1, 0, 3], dtype: f64, data: nil))
        let lse2 = HostTensor([Double](repeating: -7, count: 3), shape: [1, 3])
        XCTAssertEqual(vt_spatial_attention_forward(q.dl, q.dl, v0.dl, y0.dl, lse2.dl, nil), Int32(VT_OK))
        XCTAssertTrue(lse2.values(Double.self).allSatisfy { $0 != -7 && $0.isFinite })
    }

    func testErrors() {
        let f32 = Float.dlType
        let buffer = HostTensor([Float](repeating: 1, count: 64), shape: [64])
        let out = HostTensor([Float](repeating: -7, count: 64), shape: [64])
        let data = buffer.dl.pointee.data
        let (q, v) = (HostTensor(shape: [1, 2, 4], dtype: f32, data: data), HostTensor(shape: [1, 2, 4], dtype: f32, data: data))
        let y = HostTensor(shape: [1, 2, 4], dtype: f32, data: out.dl.pointee.data)
        var error = vt_error()
        XCTAssertEqual(vt_spatial_attention_forward(q.dl, nil, v.dl, y.dl, nil, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_spatial_attention_forward: k is NULL")
        let negative = HostTensor(shape: [1, -2, 4], dtype: f32, data: data)
        XCTAssertEqual(vt_spatial_attention_forward(negative.dl, negative.dl, v.dl, y.dl, nil, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(out.values(Float.self), [Float](repeating: -7, count: 64))
        // A NaN log-sum-exp (the forward's, for a row with a NaN logit) gives NaN gradients, not an error.
        let nanLSE = HostTensor([Float](repeating: .nan, count: 4), shape: [1, 4])
        XCTAssertEqual(vt_spatial_attention_backward(v.dl, q.dl, q.dl, v.dl, nanLSE.dl, y.dl, nil, nil, &error), Int32(VT_OK))
        XCTAssertTrue(out.values(Float.self).prefix(8).allSatisfy(\.isNaN))
        let lse = HostTensor(shape: [1, 4], dtype: f32, data: out.dl.pointee.data! + 16)
        XCTAssertEqual(vt_spatial_attention_forward(q.dl, q.dl, v.dl, y.dl, lse.dl, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("lse overlaps y"), message(error))
    }
}
