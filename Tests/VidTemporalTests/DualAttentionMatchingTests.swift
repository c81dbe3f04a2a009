import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// DAM against the Double reference, its gradients against central differences of the kernel,
/// the loss at p = 0 and 1, CML hand cases, and bad input.
final class DualAttentionMatchingTests: XCTestCase {
    struct Case {
        var n: Int, t: Int, d: Int, dk: Int
        var mask: [Double]
    }

    static let cases = [
        Case(n: 2, t: 4, d: 3, dk: 2, mask: [1, 1, 0, 1, 0, 1, 1, 0]),
        Case(n: 1, t: 1, d: 2, dk: 3, mask: [1]),
        Case(n: 2, t: 3, d: 4, dk: 2, mask: [0, 0, 0, 1, 1, 1]),   // an empty region, a full one
    ]

    /// (inputs: audio, visual, weights) for a case, seeded.
    func inputs(_ c: Case, seed: UInt64) -> ([Double], [Double], [[Double]]) {
        var random = SeededRandom(seed: seed)
        let audio: [Double] = random.uniform(c.n * c.t * c.d), visual: [Double] = random.uniform(c.n * c.t * c.d)
        let weights: [[Double]] = (0..<6).map { random.uniform($0 % 3 == 2 ? c.d * c.d : c.d * c.dk) }
        return (audio, visual, weights)
    }

    func forward(_ c: Case, _ audio: [Double], _ visual: [Double], _ w: [[Double]]) -> [[Double]] {
        var p = [Double](repeating: -7, count: c.n * c.t), pa = p, pv = p
        var ga = [Double](repeating: -7, count: c.n * c.d), gv = ga
        var error = vt_error()
        let status = vt_dual_attention_matching_forward_f64(audio, visual, c.mask, w[0], w[1], w[2], w[3], w[4], w[5],
                                                            &p, &pa, &pv, &ga, &gv, nil, Int64(c.n), Int64(c.t),
                                                            Int64(c.d), Int64(c.dk), &error)
        XCTAssertEqual(status, Int32(VT_OK), message(error))
        return [p, pa, pv, ga, gv]
    }

    func testForwardEqualsReference() {
        for (index, c) in Self.cases.enumerated() {
            let (audio, visual, w) = inputs(c, seed: 60 + UInt64(index))
            let got = forward(c, audio, visual, w)
            let want = DAMReference.forward(audio: audio, visual: visual, mask: c.mask, weights: w, n: c.n, t: c.t, d: c.d,
                                            dk: c.dk)
            for k in 0..<5 { assertClose(got[k], want[k], 1e-12, "output \(k) case \(index)") }
        }
        // An empty region: global 0, so p = 0.5 everywhere that reads it.
        let c = Self.cases[2]
        let (audio, visual, w) = inputs(c, seed: 62)
        let got = forward(c, audio, visual, w)
        XCTAssertEqual(Array(got[3].prefix(c.d)), [Double](repeating: 0, count: c.d))
        XCTAssertEqual(Array(got[1].prefix(c.t)), [Double](repeating: 0.5, count: c.t))
    }

    func testGradientsMatchFiniteDifferences() {
        for (index, c) in Self.cases.enumerated() {
            let (audio, visual, w) = inputs(c, seed: 70 + UInt64(index))
            var random = SeededRandom(seed: 80 + UInt64(index))
            let outGrads: [[Double]] = [c.n * c.t, c.n * c.t, c.n * c.t, c.n * c.d, c.n * c.d].map { random.uniform($0) }
            func loss(_ audio: [Double], _ visual: [Double], _ w: [[Double]]) -> Double {
                zip(forward(c, audio, visual, w), outGrads).reduce(0) { $0 + dot($1.0, $1.1) }
            }
            var (ga, gv) = (audio, visual)
            var (g0, g1, g2, g3, g4, g5) = (w[0], w[1], w[2], w[3], w[4], w[5])
            let status = vt_dual_attention_matching_backward_f64(
                outGrads[0], outGrads[1], outGrads[2], outGrads[3], outGrads[4], audio, visual, c.mask, w[0], w[1],
                w[2], w[3], w[4], w[5], nil, &ga, &gv, &g0, &g1, &g2, &g3, &g4, &g5, Int64(c.n), Int64(c.t), Int64(c.d),
                Int64(c.dk), nil)
            XCTAssertEqual(status, Int32(VT_OK))
            let grads = [ga, gv, g0, g1, g2, g3, g4, g5]
            let tolerance = Tolerance.of("finite_difference", .float64)
            for i in audio.indices {
                let numeric = FiniteDifference.central({ loss($0, visual, w) }, at: audio, index: i)
                XCTAssertEqual(grads[0][i], numeric, accuracy: tolerance * max(1, abs(numeric)), "audio[\(i)] case \(index)")
                let numericV = FiniteDifference.central({ loss(audio, $0, w) }, at: visual, index: i)
                XCTAssertEqual(grads[1][i], numericV, accuracy: tolerance * max(1, abs(numericV)), "visual[\(i)] case \(index)")
            }
            for k in 0..<6 {
                for i in w[k].indices {
                    let numeric = FiniteDifference.central({ v in
                        var ww = w
                        ww[k] = v
                        return loss(audio, visual, ww)
                    }, at: w[k], index: i)
                    XCTAssertEqual(grads[2 + k][i], numeric, accuracy: tolerance * max(1, abs(numeric)),
                                   "weight \(k) [\(i)] case \(index)")
                }
            }
        }
    }

    /// A larger problem (about a hundred region rows) against the reference, and bit-identical
    /// results for any thread count.
    func testLargerProblemAndThreadCounts() {
        defer { XCTAssertEqual(vt_set_num_threads(0, nil), Int32(VT_OK)) }
        var random = SeededRandom(seed: 97)
        let mask = (0..<200).map { _ in Double(Int.random(in: 0...1, using: &random)) }
        let c = Case(n: 20, t: 10, d: 20, dk: 6, mask: mask)
        let (audio, visual, w) = inputs(c, seed: 98)
        let want = DAMReference.forward(audio: audio, visual: visual, mask: c.mask, weights: w, n: c.n, t: c.t, d: c.d,
                                        dk: c.dk)
        let outGrads: [[Double]] = [200, 200, 200, 400, 400].map { random.uniform($0) }
        var results: [[Double]] = []
        for threads in [1, 2, 3] {
            XCTAssertEqual(vt_set_num_threads(Int32(threads), nil), Int32(VT_OK))
            let got = forward(c, audio, visual, w)
            for k in 0..<5 { assertClose(got[k], want[k], 1e-12, "output \(k) threads=\(threads)") }
            var (ga, gv) = (audio, visual)
            var (g0, g1, g2, g3, g4, g5) = (w[0], w[1], w[2], w[3], w[4], w[5])
            XCTAssertEqual(vt_dual_attention_matching_backward_f64(
                outGrads[0], outGrads[1], outGrads[2], outGrads[3], outGrads[4], audio, visual, c.mask, w[0], w[1], w[2],
                w[3], w[4], w[5], nil, &ga, &gv, &g0, &g1, &g2, &g3, &g4, &g5, 20, 10, 20, 6, nil), Int32(VT_OK))
            results.append(got.flatMap { $0 } + ga + gv + g0 + g1 + g2 + g3 + g4 + g5)
        }
        XCTAssertEqual(results[1].map(\.bitPattern), results[0].map(\.bitPattern))
        XCTAssertEqual(results[2].map(\.bitPattern), results[0].map(\.bitPattern))
    }

    /// The forward's workspace spares the backward the projections: same gradients, to rounding.
    func testWorkspaceGivesTheSameGradients() {
        let c = Case(n: 3, t: 5, d: 6, dk: 4, mask: [1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        let (audio, visual, w) = inputs(c, seed: 95)
        var count: Int64 = 0
        XCTAssertEqual(vt_dual_attention_matching_workspace_count(3, 5, 6, 4, &count, nil), Int32(VT_OK))
        // Per modality: projections (15 rows of 2 Dk), φ (3 x 6), w (15), u (3 x 6).
        XCTAssertEqual(count, 2 * (15 * 8 + 18 + 15 + 18))
        var workspace = [Double](repeating: .nan, count: Int(count))
        var p = [Double](repeating: 0, count: 15), pa = p, pv = p, ga = [Double](repeating: 0, count: 18), gv = ga
        XCTAssertEqual(vt_dual_attention_matching_forward_f64(audio, visual, c.mask, w[0], w[1], w[2], w[3], w[4], w[5],
                                                              &p, &pa, &pv, &ga, &gv, &workspace, 3, 5, 6, 4, nil),
                       Int32(VT_OK))
        var random = SeededRandom(seed: 96)
        let gp: [Double] = random.uniform(15), gg: [Double] = random.uniform(18)
        func gradients(_ workspace: [Double]?) -> [[Double]] {
            var (da, dv) = (audio, visual)
            var (g0, g1, g2, g3, g4, g5) = (w[0], w[1], w[2], w[3], w[4], w[5])
            let status = vt_dual_attention_matching_backward_f64(gp, gp, gp, gg, gg, audio, visual, c.mask, w[0], w[1],
                                                                 w[2], w[3], w[4], w[5], workspace, &da, &dv, &g0, &g1,
                                                                 &g2, &g3, &g4, &g5, 3, 5, 6, 4, nil)
            XCTAssertEqual(status, Int32(VT_OK))
            return [da, dv, g0, g1, g2, g3, g4, g5]
        }
        for (a, b) in zip(gradients(workspace), gradients(nil)) { assertClose(a, b, 1e-13, "workspace vs recomputed") }
    }

    func testLossIsSafeAtZeroAndOne() {
        let p: [Double] = [0, 1, 0.25, 1, 0]
        let labels: [Double] = [0, 1, 1, 0, 1]
        var loss = -7.0
        XCTAssertEqual(vt_dam_loss_forward_f64(p, labels, &loss, 5, nil), Int32(VT_OK))
        // 0 + 0 - log(0.25) + 100 + 100 (logs clamped at -100), over 5
        XCTAssertEqual(loss, (-log(0.25) + 200) / 5, accuracy: 1e-12)
        var gradP = [Double](repeating: -7, count: 5), gradLabels = gradP
        let one = 1.0
        XCTAssertEqual(vt_dam_loss_backward_f64([one], p, labels, &gradP, &gradLabels, 5, nil), Int32(VT_OK))
        XCTAssertTrue((gradP + gradLabels).allSatisfy(\.isFinite))
        XCTAssertEqual(gradP[2], (0.25 - 1) / (0.25 * 0.75) / 5, accuracy: 1e-12)
        var error = vt_error()
        XCTAssertEqual(vt_dam_loss_forward_f64([1.5], [0], &loss, 1, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("p[0] = 1.5 is not in [0, 1]"), message(error))
        XCTAssertEqual(vt_dam_loss_forward_f64(nil, nil, &loss, 0, &error), Int32(VT_ERR_SHAPE_MISMATCH))
    }

    func testCmlLocalizeHandCases() {
        // d = 1, query 1: scores σ(f_t). Features (0, 0, 5, 5, 0): the window of 2 starts at 2.
        let other: [Float] = [0, 0, 5, 5, 0]
        var start: Int64 = -1
        XCTAssertEqual(vt_cml_localize_f32([1], other, &start, 1, 5, 1, 2, nil), Int32(VT_OK))
        XCTAssertEqual(start, 2)
        // All equal: ties take the first start.
        XCTAssertEqual(vt_cml_localize_f32([1], [Float](repeating: 3, count: 5), &start, 1, 5, 1, 3, nil), Int32(VT_OK))
        XCTAssertEqual(start, 0)
        // length = T: start 0.
        XCTAssertEqual(vt_cml_localize_f32([1], other, &start, 1, 5, 1, 5, nil), Int32(VT_OK))
        XCTAssertEqual(start, 0)
        var error = vt_error()
        XCTAssertEqual(vt_cml_localize_f32([1], other, &start, 1, 5, 1, 6, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("length=6 must be in [1, t=5]"), message(error))
        XCTAssertEqual(vt_cml_localize_f32([1], other, &start, 1, 5, 1, 0, &error), Int32(VT_ERR_INVALID_ARGUMENT))
    }

    func testBadMaskAndPointers() {
        let c = Self.cases[0]
        let (audio, visual, w) = inputs(c, seed: 90)
        var p = [Double](repeating: -7, count: 8), pa = p, pv = p
        var ga = [Double](repeating: -7, count: 6), gv = ga
        var mask = c.mask
        mask[5] = 0.5
        var error = vt_error()
        XCTAssertEqual(vt_dual_attention_matching_forward_f64(audio, visual, mask, w[0], w[1], w[2], w[3], w[4], w[5], &p,
                                                              &pa, &pv, &ga, &gv, nil, 2, 4, 3, 2, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("mask[1, 1] = 0.5 is not 0 or 1"), message(error))
        XCTAssertEqual(p + pa + pv, [Double](repeating: -7, count: 24))
        XCTAssertEqual(vt_dual_attention_matching_forward_f64(audio, visual, c.mask, w[0], nil, w[2], w[3], w[4], w[5],
                                                              &p, &pa, &pv, &ga, &gv, nil, 2, 4, 3, 2, &error),
                       Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_dual_attention_matching_forward_f64: wk_a is NULL")
    }
}
