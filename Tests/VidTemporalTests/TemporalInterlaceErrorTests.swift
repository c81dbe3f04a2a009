import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Bad input to temporal interlace returns a status and a message naming the argument, and
/// leaves every output untouched.
final class TemporalInterlaceErrorTests: XCTestCase {
    /// Calls the forward and backward (float32) with x (nt, c, 1, 1), offsets (n, g) and weights
    /// (n, segments, g) given by their dims, over real buffers whatever the (bad) dims say.
    private func expectFailure(nt: Int64 = 4, c: Int64 = 8, n: Int64 = 1, g: Int64 = 2, segments: Int64 = 4,
                               shiftDiv: Int64 = 1, offsets: [Float] = [0.5, 0.5], status: Int32, mentions: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        var x = [Float](repeating: 1, count: 64), weights = [Float](repeating: 1, count: 64), o = offsets + [0, 0]
        var y = [Float](repeating: -7, count: 64), gradOffsets = [Float](repeating: -7, count: 64)
        var error = vt_error()
        x.withUnsafeMutableBytes { x in
            weights.withUnsafeMutableBytes { weights in
                o.withUnsafeMutableBytes { o in
                    y.withUnsafeMutableBytes { y in
                        gradOffsets.withUnsafeMutableBytes { gradOffsets in
                            let f32 = Float.dlType
                            let tx = HostTensor(shape: [nt, c, 1, 1], dtype: f32, data: x.baseAddress)
                            let to = HostTensor(shape: [n, g], dtype: f32, data: o.baseAddress)
                            let tw = HostTensor(shape: [n, segments, g], dtype: f32, data: weights.baseAddress)
                            let ty = HostTensor(shape: [nt, c, 1, 1], dtype: f32, data: y.baseAddress)
                            let tg = HostTensor(shape: [n, g], dtype: f32, data: gradOffsets.baseAddress)
                            let forward = vt_temporal_interlace_forward(tx.dl, to.dl, tw.dl, ty.dl, segments, shiftDiv,
                                                                        &error)
                            XCTAssertEqual(forward, status, message(error), file: file, line: line)
                            XCTAssertTrue(message(error).hasPrefix("vt_temporal_interlace_forward: "), file: file, line: line)
                            XCTAssertTrue(message(error).contains(mentions), "'\(message(error))' lacks '\(mentions)'",
                                          file: file, line: line)
                            let backward = vt_temporal_interlace_backward(tx.dl, tx.dl, to.dl, tw.dl, ty.dl, tg.dl, nil,
                                                                          segments, shiftDiv, &error)
                            XCTAssertEqual(backward, status, message(error), file: file, line: line)
                            XCTAssertTrue(message(error).contains(mentions), "'\(message(error))' lacks '\(mentions)'",
                                          file: file, line: line)
                        }
                    }
                }
            }
        }
        XCTAssertTrue((y + gradOffsets).allSatisfy { $0 == -7 }, "an output was written", file: file, line: line)
    }

    func testBadArguments() {
        expectFailure(shiftDiv: 4, status: Int32(VT_ERR_SHAPE_MISMATCH),
                      mentions: "F = c / shift_div = 8 / 4 = 2 interlaced channels do not split into 2 * groups = 4")
        expectFailure(shiftDiv: 0, status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "shift_div=0")
        expectFailure(g: 0, status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "G=0 (offsets.shape[1])")
        expectFailure(nt: 6, status: Int32(VT_ERR_SHAPE_MISMATCH), mentions: ".shape[0]=6 (N*T) is not a multiple of num_segments=4")
        expectFailure(segments: 0, status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "num_segments=0")
        expectFailure(offsets: [0.5, .nan], status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "offsets[0, 1] = nan is not finite")
        expectFailure(offsets: [-.infinity, 1], status: Int32(VT_ERR_INVALID_ARGUMENT),
                      mentions: "offsets[0, 0] = -inf is not finite")
        expectFailure(nt: 1 << 40, c: 1 << 30, n: 1 << 40, segments: 1, status: Int32(VT_ERR_SHAPE_MISMATCH),
                      mentions: "overflows")
        expectFailure(g: Int64.max / 2 + 1, status: Int32(VT_ERR_SHAPE_MISMATCH), mentions: "overflows")
    }

    func testNullAndOverlappingTensors() {
        var buffer = [Double](repeating: 0, count: 64)
        let params = HostTensor([Double](repeating: 1, count: 8), shape: [1, 4, 2])
        let offsets = HostTensor([Double](repeating: 0.5, count: 2), shape: [1, 2])
        var error = vt_error()
        buffer.withUnsafeMutableBytes { b in
            let x = HostTensor(shape: [4, 8, 1, 1], dtype: Double.dlType, data: b.baseAddress)
            let y = HostTensor(shape: [4, 8, 1, 1], dtype: Double.dlType, data: b.baseAddress! + 32 * 8)
            XCTAssertEqual(vt_temporal_interlace_forward(x.dl, nil, params.dl, y.dl, 4, 1, &error), Int32(VT_ERR_NULL_POINTER))
            XCTAssertEqual(message(error), "vt_temporal_interlace_forward: offsets is NULL")
            let overlapping = HostTensor(shape: [4, 8, 1, 1], dtype: Double.dlType, data: b.baseAddress! + 8 * 8)
            XCTAssertEqual(vt_temporal_interlace_forward(x.dl, offsets.dl, params.dl, overlapping.dl, 4, 1, &error),
                           Int32(VT_ERR_SHAPE_MISMATCH))
            XCTAssertTrue(message(error).contains("y overlaps x"), message(error))
        }
        var grads = [Double](repeating: 0, count: 40)
        let input = HostTensor([Double](repeating: 0, count: 32), shape: [4, 8, 1, 1])
        grads.withUnsafeMutableBytes { g in
            let gradX = HostTensor(shape: [4, 8, 1, 1], dtype: Double.dlType, data: g.baseAddress)
            let gradOffsets = HostTensor(shape: [1, 2], dtype: Double.dlType, data: g.baseAddress! + 31 * 8)
            XCTAssertEqual(vt_temporal_interlace_backward(input.dl, input.dl, offsets.dl, params.dl, gradX.dl,
                                                          gradOffsets.dl, nil, 4, 1, &error), Int32(VT_ERR_SHAPE_MISMATCH))
            XCTAssertTrue(message(error).contains("grad_offsets overlaps grad_x"), message(error))
            // Adjacent, not overlapping: fine.
            let adjacent = HostTensor(shape: [1, 2], dtype: Double.dlType, data: g.baseAddress! + 32 * 8)
            XCTAssertEqual(vt_temporal_interlace_backward(input.dl, input.dl, offsets.dl, params.dl, gradX.dl, adjacent.dl,
                                                          nil, 4, 1, &error), Int32(VT_OK), message(error))
        }
    }

    func testEmptyPixelsGiveZeroParameterGradients() {
        let gradOffsets = HostTensor([Float](repeating: -7, count: 2), shape: [1, 2])
        let gradWeights = HostTensor([Float](repeating: -7, count: 8), shape: [1, 4, 2])
        let (offsets, weights) = (HostTensor([Float](repeating: 0.5, count: 2), shape: [1, 2]),
                                  HostTensor([Float](repeating: 1, count: 8), shape: [1, 4, 2]))
        let empty = HostTensor(shape: [4, 8, 0, 3], dtype: Float.dlType, data: nil)
        XCTAssertEqual(vt_temporal_interlace_backward(empty.dl, empty.dl, offsets.dl, weights.dl, nil, gradOffsets.dl,
                                                      gradWeights.dl, 4, 1, nil), Int32(VT_OK))
        XCTAssertEqual(gradOffsets.values(Float.self), [0, 0])
        XCTAssertEqual(gradWeights.values(Float.self), [Float](repeating: 0, count: 8))
    }
}
