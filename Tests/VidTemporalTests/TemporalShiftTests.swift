import CVidTemporal
import VidTemporalTestSupport
import XCTest

final class TemporalShiftTests: XCTestCase {
    override func tearDown() {
        XCTAssertEqual(vt_set_num_threads(0, nil), Int32(VT_OK))
    }

    func testForwardEqualsReferenceOverSweep() {
        checkForwardSweep(Float.self)
        checkForwardSweep(Double.self)
    }

    func testBackwardEqualsScatterReferenceOverSweep() {
        checkBackwardSweep(Float.self)
        checkBackwardSweep(Double.self)
    }

    func testInPlaceIsBitIdenticalToOutOfPlace() {
        checkInPlace(Float.self)
        checkInPlace(Double.self)
    }

    func testAdjointIdentity() {
        checkAdjoint(Float.self)
        checkAdjoint(Double.self)
    }

    /// N=1, T=3, C=4, H=W=1, fold_div=4: fold = 1, so channel 0 comes from t+1, channel 1 from
    /// t-1, channels 2-3 stay. Values 10*t + c make every move visible.
    func testHandComputedBidirectional() {
        let shape = ShiftCase(clips: 1, segments: 3, channels: 4, foldDiv: 4)
        let x: [Float] = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]
        let (status, y, _) = shape.run(vt_temporal_shift_forward, x)
        XCTAssertEqual(status, Int32(VT_OK))
        XCTAssertEqual(y, [10, 0, 2, 3, 20, 1, 12, 13, 0, 11, 22, 23])
        // The adjoint puts each value back where it came from; what fell off the clip ends is lost.
        XCTAssertEqual(shape.run(vt_temporal_shift_backward, y).1, [0, 1, 2, 3, 10, 11, 12, 13, 20, 0, 22, 23])
    }

    func testHandComputedUnidirectional() {
        let shape = ShiftCase(clips: 1, segments: 3, channels: 4, foldDiv: 4, mode: Int32(VT_SHIFT_UNIDIRECTIONAL))
        let x: [Double] = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]
        XCTAssertEqual(shape.run(vt_temporal_shift_forward, x).1, [0, 1, 2, 3, 0, 11, 12, 13, 10, 21, 22, 23])
    }

    /// Large enough that the kernels split the work (small jobs run inline), including single
    /// clips whose in-place bands are split into pieces, in both modes and directions.
    func testResultsDoNotDependOnThreadCount() {
        let shapes = [ShiftCase(clips: 3, segments: 5, channels: 64, height: 16, width: 16, foldDiv: 8),
                      ShiftCase(clips: 1, segments: 4, channels: 64, height: 64, width: 64, foldDiv: 4,
                                mode: Int32(VT_SHIFT_UNIDIRECTIONAL)),
                      ShiftCase(clips: 1, segments: 3, channels: 24, height: 77, width: 61, foldDiv: 3)]
        var random = SeededRandom(seed: 11)
        for shape in shapes {
            let x: [Float] = random.uniform(shape.count)
            let expected = [shape.reference.forward(x), shape.reference.backward(x), shape.reference.forward(x),
                            shape.reference.backward(x)]
            for threads in [1, 2, 3, 4, 7] {
                XCTAssertEqual(vt_set_num_threads(Int32(threads), nil), Int32(VT_OK))
                XCTAssertEqual(vt_get_num_threads(), Int32(threads))
                let outputs = [shape.run(vt_temporal_shift_forward, x).1, shape.run(vt_temporal_shift_backward, x).1,
                               shape.runInPlace(vt_temporal_shift_inplace_forward, x).1, shape.runInPlace(vt_temporal_shift_inplace_backward, x).1]
                XCTAssertEqual(outputs, expected, "\(shape) threads=\(threads)")
            }
        }
    }

    func testStreamOverClipEqualsUnidirectional() throws {
        try checkStream(Float.self)
        try checkStream(Double.self)
    }

    // MARK: - Checks per dtype

    private func checkForwardSweep<T: ShiftScalar>(_: T.Type) {
        var random = SeededRandom(seed: 1)
        for shape in ShiftCase.sweep {
            let x: [T] = random.uniform(shape.count)
            let (status, y, error) = shape.run(vt_temporal_shift_forward, x)
            XCTAssertEqual(status, Int32(VT_OK), "\(shape): \(message(error))")
            XCTAssertEqual(y, shape.reference.forward(x), "\(T.self) \(shape)")
        }
    }

    private func checkBackwardSweep<T: ShiftScalar>(_: T.Type) {
        var random = SeededRandom(seed: 2)
        for shape in ShiftCase.sweep {
            let gradY: [T] = random.uniform(shape.count)
            let (status, gradX, _) = shape.run(vt_temporal_shift_backward, gradY)
            XCTAssertEqual(status, Int32(VT_OK), "\(shape)")
            XCTAssertEqual(gradX, shape.reference.backward(gradY), "\(T.self) \(shape)")
        }
    }

    private func checkInPlace<T: ShiftScalar>(_: T.Type) {
        var random = SeededRandom(seed: 3)
        for shape in ShiftCase.sweep {
            let x: [T] = random.uniform(shape.count)
            let forward = shape.runInPlace(vt_temporal_shift_inplace_forward, x)
            let backward = shape.runInPlace(vt_temporal_shift_inplace_backward, x)
            XCTAssertEqual(forward.0, Int32(VT_OK), "\(shape)")
            XCTAssertEqual(backward.0, Int32(VT_OK), "\(shape)")
            // Compare bit patterns: == would let -0 pass for +0.
            XCTAssertEqual(forward.1.map(\.bitPattern), shape.run(vt_temporal_shift_forward, x).1.map(\.bitPattern), "\(T.self) \(shape)")
            XCTAssertEqual(backward.1.map(\.bitPattern), shape.run(vt_temporal_shift_backward, x).1.map(\.bitPattern), "\(T.self) \(shape)")
        }
    }

    private func checkAdjoint<T: ShiftScalar>(_: T.Type) {
        var random = SeededRandom(seed: 4)
        for shape in ShiftCase.sweep where shape.count > 0 {
            let x: [T] = random.uniform(shape.count)
            let y: [T] = random.uniform(shape.count)
            let lhs = dot(shape.run(vt_temporal_shift_forward, x).1, y)
            let rhs = dot(x, shape.run(vt_temporal_shift_backward, y).1)
            XCTAssertEqual(lhs, rhs, accuracy: Tolerance.of("adjoint", T.dtype) * max(1, abs(lhs)), "\(T.self) \(shape)")
        }
    }

    private func checkStream<T: ShiftScalar>(_: T.Type) throws {
        for foldDiv in [4, 1, 13] {  // fold = 3, fold = C, fold = 0
            try checkStream(T.self, ShiftCase(clips: 2, segments: 6, channels: 12, height: 3, width: 4, foldDiv: foldDiv,
                                              mode: Int32(VT_SHIFT_UNIDIRECTIONAL)))
        }
    }

    private func checkStream<T: ShiftScalar>(_: T.Type, _ shape: ShiftCase) throws {
        var random = SeededRandom(seed: 5)
        // (N*T, C, H, W) clip-major, so frame t of every clip is rows n*T + t.
        let clip: [T] = random.uniform(shape.count)
        let expected = shape.run(vt_temporal_shift_forward, clip).1
        let frameCount = shape.channels * shape.height * shape.width

        var handle: OpaquePointer?
        var first = [T](repeating: 0, count: shape.clips * frameCount)
        XCTAssertEqual(createStream([Int64(shape.clips), Int64(shape.channels), Int64(shape.height), Int64(shape.width)],
                                    foldDiv: Int64(shape.foldDiv), dtype: T.dlType, data: &first, &handle, nil),
                       Int32(VT_OK))
        let stream = try XCTUnwrap(handle)
        defer { vt_temporal_shift_stream_free(stream) }

        for pass in 0..<2 {  // the second pass checks reset
            var streamed = [T](repeating: 0, count: shape.count)
            for t in 0..<shape.segments {
                let frame = (0..<shape.clips).flatMap { n in clip[((n * shape.segments + t) * frameCount)...].prefix(frameCount) }
                let dims = [shape.clips, shape.channels, shape.height, shape.width]
                let input = HostTensor(frame, shape: dims), output = HostTensor([T](repeating: 0, count: frame.count), shape: dims)
                XCTAssertEqual(vt_temporal_shift_stream_step(stream, input.dl, output.dl, nil), Int32(VT_OK))
                let out = output.values(T.self)
                for n in 0..<shape.clips {
                    streamed.replaceSubrange((n * shape.segments + t) * frameCount ..< (n * shape.segments + t + 1) * frameCount,
                                             with: out[(n * frameCount)...].prefix(frameCount))
                }
            }
            XCTAssertEqual(streamed.map(\.bitPattern), expected.map(\.bitPattern), "\(T.self) \(shape) pass \(pass)")
            XCTAssertEqual(vt_temporal_shift_stream_reset(stream, nil), Int32(VT_OK))
        }
    }
}
