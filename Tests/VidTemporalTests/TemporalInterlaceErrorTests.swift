import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Bad input to temporal interlace returns a status and a message naming the argument, and
/// leaves every output untouched.
final class TemporalInterlaceErrorTests: XCTestCase {
    /// Calls the f32 forward and backward on real 64-element buffers with the given arguments.
    private func expectFailure(_ dims: (Int64, Int64, Int64, Int64, Int64, Int64, Int64), offsets: [Float] = [0.5, 0.5],
                               status: Int32, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        let x = [Float](repeating: 1, count: 64)
        let weights = [Float](repeating: 1, count: 64)
        var y = [Float](repeating: -7, count: 64)
        var gradOffsets = [Float](repeating: -7, count: 64)
        var error = vt_error()
        let forward = vt_temporal_interlace_forward_f32(x, offsets, weights, &y, dims.0, dims.1, dims.2, dims.3, dims.4,
                                                        dims.5, dims.6, &error)
        XCTAssertEqual(forward, status, message(error), file: file, line: line)
        XCTAssertTrue(message(error).hasPrefix("vt_temporal_interlace_forward_f32: "), file: file, line: line)
        XCTAssertTrue(message(error).contains(mentions), "'\(message(error))' lacks '\(mentions)'", file: file, line: line)
        let backward = vt_temporal_interlace_backward_f32(x, x, offsets, weights, &y, &gradOffsets, nil, dims.0, dims.1,
                                                          dims.2, dims.3, dims.4, dims.5, dims.6, &error)
        XCTAssertEqual(backward, status, message(error), file: file, line: line)
        XCTAssertTrue(message(error).contains(mentions), "'\(message(error))' lacks '\(mentions)'", file: file, line: line)
        XCTAssertTrue((y + gradOffsets).allSatisfy { $0 == -7 }, "an output was written", file: file, line: line)
    }

    func testBadArguments() {
        expectFailure((4, 8, 1, 1, 4, 4, 2), status: Int32(VT_ERR_SHAPE_MISMATCH),
                      mentions: "F = c / shift_div = 8 / 4 = 2 interlaced channels do not split into 2 * groups = 4")
        expectFailure((4, 8, 1, 1, 4, 0, 2), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "shift_div=0")
        expectFailure((4, 8, 1, 1, 4, 1, 0), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "groups=0")
        expectFailure((6, 8, 1, 1, 4, 1, 2), status: Int32(VT_ERR_SHAPE_MISMATCH), mentions: "nt=6")
        expectFailure((4, 8, 1, 1, 0, 1, 2), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "num_segments=0")
        expectFailure((4, 8, 1, 1, 4, 1, 2), offsets: [0.5, .nan], status: Int32(VT_ERR_INVALID_ARGUMENT),
                      mentions: "offsets[0, 1] = nan is not finite")
        expectFailure((4, 8, 1, 1, 4, 1, 2), offsets: [-.infinity, 1], status: Int32(VT_ERR_INVALID_ARGUMENT),
                      mentions: "offsets[0, 0] = -inf is not finite")
        expectFailure((1 << 40, 1 << 30, 1, 1, 1, 1, 1), status: Int32(VT_ERR_SHAPE_MISMATCH), mentions: "overflows")
        expectFailure((4, 8, 1, 1, 4, 1, Int64.max / 2 + 1), status: Int32(VT_ERR_SHAPE_MISMATCH), mentions: "overflows")
    }

    func testNullAndOverlappingPointers() {
        var buffer = [Double](repeating: 0, count: 64)
        let params: [Double] = [0.5, 0.5, 1, 1, 1, 1, 1, 1]
        var error = vt_error()
        XCTAssertEqual(vt_temporal_interlace_forward_f64(buffer, nil, params, &buffer[32], 4, 8, 1, 1, 4, 1, 1, &error),
                       Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_interlace_forward_f64: offsets is NULL")
        let status = buffer.withUnsafeMutableBufferPointer { b in
            vt_temporal_interlace_forward_f64(b.baseAddress, params, params, b.baseAddress! + 8, 4, 8, 1, 1, 4, 1, 1, &error)
        }
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("y overlaps x"), message(error))
        var grads = [Double](repeating: 0, count: 40)
        let backward = grads.withUnsafeMutableBufferPointer { g in
            vt_temporal_interlace_backward_f64(buffer, buffer, params, params, g.baseAddress, g.baseAddress! + 31, nil,
                                               4, 8, 1, 1, 4, 1, 1, &error)
        }
        XCTAssertEqual(backward, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("grad_offsets overlaps grad_x"), message(error))
        // Adjacent, not overlapping: fine.
        XCTAssertEqual(vt_temporal_interlace_backward_f64(buffer, buffer, params, params, &grads, nil, nil,
                                                          4, 8, 1, 1, 4, 1, 1, &error), Int32(VT_OK), message(error))
    }

    func testEmptyPixelsGiveZeroParameterGradients() {
        var gradOffsets: [Float] = [-7, -7]
        var gradWeights = [Float](repeating: -7, count: 8)
        let params: [Float] = [0.5, 0.5, 1, 1, 1, 1, 1, 1]
        XCTAssertEqual(vt_temporal_interlace_backward_f32(nil, nil, params, params, nil, &gradOffsets, &gradWeights,
                                                          4, 8, 0, 3, 4, 1, 2, nil), Int32(VT_OK))
        XCTAssertEqual(gradOffsets, [0, 0])
        XCTAssertEqual(gradWeights, [Float](repeating: 0, count: 8))
    }
}
