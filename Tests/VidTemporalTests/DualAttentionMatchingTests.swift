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

    /// The nine input tensors: audio, visual, mask, then the six weights.
    func tensors(_ c: Case, _ audio: [Double], _ visual: [Double], _ w: [[Double]], mask: [Double]? = nil) -> [HostTensor] {
        [HostTensor(audio, shape: [c.n, c.t, c.d]), HostTensor(visual, shape: [c.n, c.t, c.d]),
         HostTensor(mask ?? c.mask, shape: [c.n, c.t])]
            + w.enumerated().map { HostTensor($1, shape: [c.d, $0 % 3 == 2 ? c.d : c.dk]) }
    }

    func run(_ c: Case, _ audio: [Double], _ visual: [Double], _ w: [[Double]], workspace: HostTensor? = nil,
             mask: [Double]? = nil) -> (Int32, [[Double]], vt_error) {
        let i = tensors(c, audio, visual, w, mask: mask)
        let outputs = (0..<5).map { HostTensor([Double](repeating: -7, count: c.n * ($0 < 3 ? c.t : c.d)),
                                               shape: [c.n, $0 < 3 ? c.t : c.d]) }
        var error = vt_error()
        let status = vt_dual_attention_matching_forward(i[0].dl, i[1].dl, i[2].dl, i[3].dl, i[4].dl, i[5].dl, i[6].dl,
                                                        i[7].dl, i[8].dl, outputs[0].dl, outputs[1].dl, outputs[2].dl,
                                                        outputs[3].dl, outputs[4].dl, workspace?.dl, &error)
        return (status, outputs.map { $0.values(Double.self) }, error)
    }

    func forward(_ c: Case, _ audio: [Double], _ visual: [Double], _ w: [[Double]]) -> [[Double]] {
        let (status, outputs, error) = run(c, audio, visual, w)
        XCTAssertEqual(status, Int32(VT_OK), message(error))
        return outputs
    }

    /// The gradients of audio, visual and the six weights for the five output gradients.
    func backward(_ c: Case, _ outGrads: [[Double]], _ audio: [Double], _ visual: [Double], _ w: [[Double]],
                  workspace: HostTensor? = nil) -> [[Double]] {
        let i = tensors(c, audio, visual, w)
        let g = outGrads.enumerated().map { HostTensor($1, shape: [c.n, $0 < 3 ? c.t : c.d]) }
        let grads = [i[0], i[1]] + i[3...].map { $0 }
        let outputs = grads.map { HostTensor([Double](repeating: -7, count: $0.dims.reduce(1, *)), shape: $0.dims) }
        let o = outputs.map { $0.dl }
        XCTAssertEqual(vt_dual_attention_matching_backward(g[0].dl, g[1].dl, g[2].dl, g[3].dl, g[4].dl, i[0].dl, i[1].dl,
                                                           i[2].dl, i[3].dl, i[4].dl, i[5].dl, i[6].dl, i[7].dl, i[8].dl,
                                                           workspace?.dl, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], nil),
                       Int32(VT_OK))
        return outputs.map { $0.values(Double.self) }
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
            let grads = backward(c, outGrads, audio, visual, w)
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
            results.append(got.flatMap { $0 } + backward(c, outGrads, audio, visual, w).flatMap { $0 })
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
        let workspace = HostTensor([Double](repeating: .nan, count: Int(count)), shape: [Int(count)])
        XCTAssertEqual(run(c, audio, visual, w, workspace: workspace).0, Int32(VT_OK))
        XCTAssertFalse(workspace.values(Double.self).contains { $0.isNaN }, "the forward fills the whole workspace")
        var random = SeededRandom(seed: 96)
        let gp: [Double] = random.uniform(15), gg: [Double] = random.uniform(18)
        let outGrads = [gp, gp, gp, gg, gg]
        for (a, b) in zip(backward(c, outGrads, audio, visual, w, workspace: workspace), backward(c, outGrads, audio, visual, w)) {
            assertClose(a, b, 1e-13, "workspace vs recomputed")
        }
        // A workspace of another size is refused.
        let short = HostTensor([Double](repeating: 0, count: 5), shape: [5])
        let (status, _, error) = run(c, audio, visual, w, workspace: short)
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_dual_attention_matching_forward: workspace.shape[0]=5 must be W=\(count) "
            + "= vt_dual_attention_matching_workspace_count(N=3, T=5, D=6, DK=4)")
    }

    func testLossIsSafeAtZeroAndOne() {
        let p = HostTensor([Double]([0, 1, 0.25, 1, 0]), shape: [5])
        let labels = HostTensor([Double]([0, 1, 1, 0, 1]), shape: [5])
        let loss = HostTensor([-7.0], shape: [])
        XCTAssertEqual(vt_dam_loss_forward(p.dl, labels.dl, loss.dl, nil), Int32(VT_OK))
        // 0 + 0 - log(0.25) + 100 + 100 (logs clamped at -100), over 5
        XCTAssertEqual(loss.values(Double.self)[0], (-log(0.25) + 200) / 5, accuracy: 1e-12)
        let (gradP, gradLabels) = (HostTensor([Double](repeating: -7, count: 5), shape: [5]),
                                   HostTensor([Double](repeating: -7, count: 5), shape: [5]))
        let one = HostTensor([1.0], shape: [])
        XCTAssertEqual(vt_dam_loss_backward(one.dl, p.dl, labels.dl, gradP.dl, gradLabels.dl, nil), Int32(VT_OK))
        XCTAssertTrue((gradP.values(Double.self) + gradLabels.values(Double.self)).allSatisfy(\.isFinite))
        XCTAssertEqual(gradP.values(Double.self)[2], (0.25 - 1) / (0.25 * 0.75) / 5, accuracy: 1e-12)
        var error = vt_error()
        let (bad, zero) = (HostTensor([1.5], shape: [1]), HostTensor([0.0], shape: [1]))
        XCTAssertEqual(vt_dam_loss_forward(bad.dl, zero.dl, loss.dl, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("p[0] = 1.5 is not in [0, 1]"), message(error))
        let empty = HostTensor(shape: [0], dtype: Double.dlType, data: nil)
        XCTAssertEqual(vt_dam_loss_forward(empty.dl, empty.dl, loss.dl, &error), Int32(VT_ERR_SHAPE_MISMATCH))
    }

    func testCmlLocalizeHandCases() {
        // d = 1, query 1: scores σ(f_t). Features (0, 0, 5, 5, 0): the window of 2 starts at 2.
        let query = HostTensor([Float(1)], shape: [1, 1])
        let other = HostTensor([Float]([0, 0, 5, 5, 0]), shape: [1, 5, 1])
        let equal = HostTensor([Float](repeating: 3, count: 5), shape: [1, 5, 1])
        let start = HostTensor([Int64(-1)], shape: [1])
        XCTAssertEqual(vt_cml_localize(query.dl, other.dl, start.dl, 2, nil), Int32(VT_OK))
        XCTAssertEqual(start.values(Int64.self), [2])
        // All equal: ties take the first start.
        XCTAssertEqual(vt_cml_localize(query.dl, equal.dl, start.dl, 3, nil), Int32(VT_OK))
        XCTAssertEqual(start.values(Int64.self), [0])
        // length = T: start 0.
        XCTAssertEqual(vt_cml_localize(query.dl, other.dl, start.dl, 5, nil), Int32(VT_OK))
        XCTAssertEqual(start.values(Int64.self), [0])
        var error = vt_error()
        XCTAssertEqual(vt_cml_localize(query.dl, other.dl, start.dl, 6, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("length=6 must be in [1, T=5]"), message(error))
        XCTAssertEqual(vt_cml_localize(query.dl, other.dl, start.dl, 0, &error), Int32(VT_ERR_INVALID_ARGUMENT))
    }

    func testBadMaskAndTensors() {
        let c = Self.cases[0]
        let (audio, visual, w) = inputs(c, seed: 90)
        var mask = c.mask
        mask[5] = 0.5
        let (status, outputs, error) = run(c, audio, visual, w, mask: mask)
        XCTAssertEqual(status, Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("mask[1, 1] = 0.5 is not 0 or 1"), message(error))
        XCTAssertEqual(outputs.flatMap { $0 }, [Double](repeating: -7, count: 36))
        let i = tensors(c, audio, visual, w)
        let o = (0..<5).map { HostTensor([Double](repeating: -7, count: c.n * ($0 < 3 ? c.t : c.d)), shape: [c.n, $0 < 3 ? c.t : c.d]) }
        var e = vt_error()
        XCTAssertEqual(vt_dual_attention_matching_forward(i[0].dl, i[1].dl, i[2].dl, i[3].dl, nil, i[5].dl, i[6].dl, i[7].dl,
                                                          i[8].dl, o[0].dl, o[1].dl, o[2].dl, o[3].dl, o[4].dl, nil, &e),
                       Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(e), "vt_dual_attention_matching_forward: wk_a is NULL")
    }
}
