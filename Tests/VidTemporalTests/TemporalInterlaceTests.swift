import CVidTemporal
import VidTemporalTestSupport
import XCTest

final class TemporalInterlaceTests: XCTestCase {
    override func tearDown() {
        XCTAssertEqual(vt_set_num_threads(0, nil), Int32(VT_OK))
    }

    func testForwardAndDataGradientEqualReference() {
        checkAgainstReference(Float.self)
        checkAgainstReference(Double.self)
    }

    /// N=1, T=4, C=4, shift_div=1, G=2 (parts of one channel), offsets (0.5, 1): the parts shift
    /// by 0.5, 1, -0.5, -1. x[t, c] = 10 t + c; weights 1 for group 0 and 2 for group 1.
    func testHandComputedCase() {
        let shape = InterlaceCase(clips: 1, segments: 4, channels: 4, offsets: [0.5, 1], weights: [1, 2, 1, 2, 1, 2, 1, 2])
        let x: [Double] = (0..<4).flatMap { t in (0..<4).map { c in Double(10 * t + c) } }
        let (status, y, _) = shape.forward(x)
        XCTAssertEqual(status, Int32(VT_OK))
        let expectedByChannel: [[Double]] = [[0, 5, 15, 25], [0, 2, 22, 42], [7, 17, 27, 16], [26, 46, 66, 0]]
        let expected = (0..<4).flatMap { t in (0..<4).map { c in expectedByChannel[c][t] } }
        XCTAssertEqual(y, expected)
    }

    /// The correct adjoint of a +1 shift moves gradients one frame back: [1, 1, 1, 0] for a
    /// gradient of ones on T = 4. (mmcv's tin_shift backward, which reuses the forward index
    /// map, would give [0, 1, 1, 1].)
    func testShiftByOneGradientIsTheTrueAdjoint() {
        let shape = InterlaceCase(clips: 1, segments: 4, channels: 2, groups: 1, offsets: [1], weights: [1, 1, 1, 1])
        let x = [Double](repeating: 0, count: 8)
        let (_, gradX, _, _) = shape.backward([Double](repeating: 1, count: 8), x)
        XCTAssertEqual(stride(from: 0, to: 8, by: 2).map { gradX[$0] }, [1, 1, 1, 0])   // part 0: shift +1
        XCTAssertEqual(stride(from: 1, to: 8, by: 2).map { gradX[$0] }, [0, 1, 1, 1])   // part 1: shift -1
    }

    func testAdjointIdentityInX() {
        var random = SeededRandom(seed: 21)
        for var shape in InterlaceCase.layouts {
            shape.randomize(&random) { OffsetKind.fractional.draw(&$0) }
            let x: [Double] = random.uniform(shape.count)
            let gradY: [Double] = random.uniform(shape.count)
            let lhs = dot(shape.forward(x).1, gradY)
            let rhs = dot(x, shape.backward(gradY, x).1)
            XCTAssertEqual(lhs, rhs, accuracy: Tolerance.of("adjoint", .float64) * max(1, abs(lhs)), "\(shape)")
        }
    }

    /// Parameter gradients against central differences of L = <y, g>, away from integer offsets.
    func testParameterGradientsMatchFiniteDifferences() {
        var random = SeededRandom(seed: 22)
        let tolerance = Tolerance.of("finite_difference", .float64)
        for var shape in InterlaceCase.layouts {
            shape.randomize(&random) { r in
                var o = OffsetKind.fractional.draw(&r)
                while abs(o - o.rounded()) < 0.05 { o = OffsetKind.fractional.draw(&r) }
                return o
            }
            let x: [Double] = random.uniform(shape.count)
            let gradY: [Double] = random.uniform(shape.count)
            let (status, _, gradOffsets, gradWeights) = shape.backward(gradY, x)
            XCTAssertEqual(status, Int32(VT_OK))
            for i in shape.offsets.indices {
                let numeric = FiniteDifference.central({ shape.loss(x, gradY, offsets: $0) }, at: shape.offsets, index: i)
                XCTAssertEqual(gradOffsets[i], numeric, accuracy: tolerance * max(1, abs(numeric)), "offsets[\(i)] \(shape)")
            }
            for i in shape.weights.indices {
                let numeric = FiniteDifference.central({ shape.loss(x, gradY, weights: $0) }, at: shape.weights, index: i)
                XCTAssertEqual(gradWeights[i], numeric, accuracy: tolerance * max(1, abs(numeric)), "weights[\(i)] \(shape)")
            }
        }
    }

    /// At an integer offset the gradient is the right-sided derivative in s: right-sided in the
    /// offset for the first G parts, left-sided for the reversed parts. Zeroing the output
    /// gradient of one family of parts isolates the other.
    func testIntegerOffsetsTakeOneSidedDerivatives() {
        for (segments, offsets) in [(5, [1.0, 0, -1, 2]), (5, [5, -5, 6, -6]), (1, [1, -1, 0, 2])] {
            checkOneSided(segments: segments, offsets: offsets)
        }
    }

    private func checkOneSided(segments: Int, offsets: [Double]) {
        var random = SeededRandom(seed: 23)
        var shape = InterlaceCase(clips: 2, segments: segments, channels: 8, height: 2, width: 2, shiftDiv: 2, groups: 2)
        shape.randomize(&random) { OffsetKind.integer.draw(&$0) }
        shape.offsets = offsets
        let x: [Double] = random.uniform(shape.count)
        let partChannels = shape.channels / shape.shiftDiv / (2 * shape.groups)
        for reversed in [false, true] {
            var gradY: [Double] = random.uniform(shape.count)
            for i in gradY.indices {
                let channel = (i / (shape.height * shape.width)) % shape.channels
                let part = channel / partChannels
                if channel >= shape.channels / shape.shiftDiv || (part >= shape.groups) != reversed { gradY[i] = 0 }
            }
            let gradOffsets = shape.backward(gradY, x).2
            for i in shape.offsets.indices {
                let numeric = FiniteDifference.oneSided({ shape.loss(x, gradY, offsets: $0) }, at: shape.offsets,
                                                        index: i, right: !reversed)
                XCTAssertEqual(gradOffsets[i], numeric, accuracy: 1e-7 * max(1, abs(numeric)),
                               "offsets[\(i)] = \(shape.offsets[i]) T=\(segments) reversed=\(reversed)")
            }
        }
    }

    func testResultsDoNotDependOnThreadCount() {
        var random = SeededRandom(seed: 24)
        var shape = InterlaceCase(clips: 3, segments: 8, channels: 64, height: 14, width: 14, shiftDiv: 4, groups: 2)
        shape.randomize(&random) { OffsetKind.fractional.draw(&$0) }
        let x: [Float] = random.uniform(shape.count)
        let gradY: [Float] = random.uniform(shape.count)
        var results: [[[Float]]] = []
        for threads in [1, 2, 3, 5] {
            XCTAssertEqual(vt_set_num_threads(Int32(threads), nil), Int32(VT_OK))
            let (_, gx, go, gw) = shape.backward(gradY, x)
            results.append([shape.forward(x).1, gx, go, gw])
        }
        for result in results.dropFirst() {
            for (got, want) in zip(result, results[0]) { XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern)) }
        }
    }

    /// Each gradient alone equals the same gradient of the full call.
    func testNullGradientsAreSkipped() {
        var random = SeededRandom(seed: 25)
        var shape = InterlaceCase(clips: 2, segments: 3, channels: 8, height: 2, width: 2, shiftDiv: 2, groups: 1)
        shape.randomize(&random) { OffsetKind.fractional.draw(&$0) }
        let x: [Double] = random.uniform(shape.count)
        let gradY: [Double] = random.uniform(shape.count)
        let full = shape.backward(gradY, x)
        let (g, input) = (HostTensor(gradY, shape: shape.dims), HostTensor(x, shape: shape.dims))
        let offsets = HostTensor(shape.offsets, shape: [shape.clips, shape.groups])
        let weights = HostTensor(shape.weights, shape: [shape.clips, shape.segments, shape.groups])
        let gradX = HostTensor([Double](repeating: -7, count: x.count), shape: shape.dims)
        let gradOffsets = HostTensor([Double](repeating: -7, count: shape.offsets.count), shape: [shape.clips, shape.groups])
        let gradWeights = HostTensor([Double](repeating: -7, count: shape.weights.count),
                                     shape: [shape.clips, shape.segments, shape.groups])
        let (t, s) = (Int64(shape.segments), Int64(shape.shiftDiv))
        XCTAssertEqual(vt_temporal_interlace_backward(g.dl, input.dl, offsets.dl, weights.dl, gradX.dl, nil, nil, t, s, nil),
                       Int32(VT_OK))
        XCTAssertEqual(vt_temporal_interlace_backward(g.dl, input.dl, offsets.dl, weights.dl, nil, gradOffsets.dl, nil, t, s,
                                                      nil), Int32(VT_OK))
        XCTAssertEqual(vt_temporal_interlace_backward(g.dl, input.dl, offsets.dl, weights.dl, nil, nil, gradWeights.dl, t, s,
                                                      nil), Int32(VT_OK))
        XCTAssertEqual(gradX.values(Double.self), full.1)
        XCTAssertEqual(gradOffsets.values(Double.self), full.2)
        XCTAssertEqual(gradWeights.values(Double.self), full.3)
    }

    private func checkAgainstReference<T: InterlaceScalar>(_: T.Type) {
        var random = SeededRandom(seed: 20)
        let tolerance = Tolerance.of("temporal_interlace", T.dtype)
        for kind in OffsetKind.allCases {
            for var shape in InterlaceCase.layouts {
                shape.randomize(&random) { kind.draw(&$0) }
                // Inputs exactly representable in T, so the reference sees the same numbers.
                let x: [T] = random.uniform(shape.count)
                let gradY: [T] = random.uniform(shape.count)
                shape.offsets = shape.offsets.map { Double(T($0)) }
                shape.weights = shape.weights.map { Double(T($0)) }
                let label = "\(T.self) \(kind) \(shape)"
                let (status, y, error) = shape.forward(x)
                XCTAssertEqual(status, Int32(VT_OK), "\(label): \(message(error))")
                assertClose(y, shape.reference.forward(x.map(Double.init), shape.offsets, shape.weights), tolerance, label)
                let (backwardStatus, gradX, _, _) = shape.backward(gradY, x)
                XCTAssertEqual(backwardStatus, Int32(VT_OK), label)
                assertClose(gradX, shape.reference.backwardX(gradY.map(Double.init), shape.offsets, shape.weights),
                            tolerance, label)
            }
        }
    }
}
