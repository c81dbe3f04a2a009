import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Every way a caller can get temporal shift wrong returns a status and a message naming the
/// argument, and leaves the outputs untouched.
final class TemporalShiftErrorTests: XCTestCase {
    private func expectFailure(_ shape: ShiftCase, status: Int32, mentions: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        // Real buffers whatever the (bad) dims say, so a stray write would show.
        var input = [Float](repeating: 1, count: 64)
        var output = [Float](repeating: -7, count: 64)
        var error = vt_error()
        let got = vt_temporal_shift_forward_f32(&input, &output, Int64(shape.frames), Int64(shape.channels),
                                                Int64(shape.height), Int64(shape.width), Int64(shape.segments),
                                                Int64(shape.foldDiv), shape.mode, &error)
        XCTAssertEqual(got, status, "\(shape)", file: file, line: line)
        XCTAssertEqual(error.status, status, file: file, line: line)
        XCTAssertTrue(message(error).hasPrefix("vt_temporal_shift_forward_f32: "), message(error), file: file, line: line)
        XCTAssertTrue(message(error).contains(mentions), "'\(message(error))' lacks '\(mentions)'", file: file, line: line)
        XCTAssertTrue(output.allSatisfy { $0 == -7 }, "output was written", file: file, line: line)
    }

    func testBadScalarsAndShapes() {
        expectFailure(ShiftCase(clips: 1, segments: 0), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "num_segments=0")
        expectFailure(ShiftCase(clips: 0, segments: -2), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "num_segments=-2")
        expectFailure(ShiftCase(foldDiv: 0), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "fold_div=0")
        expectFailure(ShiftCase(foldDiv: -1), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "fold_div=-1")
        expectFailure(ShiftCase(mode: 7), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "mode=7")
        expectFailure(ShiftCase(channels: -3), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "c=-3")
        expectFailure(ShiftCase(width: -1), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "w=-1")
    }

    func testNtNotAMultipleOfSegments() {
        var input = [Float](repeating: 1, count: 10)
        var output = [Float](repeating: -7, count: 10)
        var error = vt_error()
        let status = vt_temporal_shift_forward_f32(&input, &output, 10, 1, 1, 1, 8, 8, 0, &error)
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_temporal_shift_forward_f32: nt=10 (x.shape[0]) is not a multiple of num_segments=8")
        XCTAssertEqual(output, [Float](repeating: -7, count: 10))
    }

    func testOverflowingDims() {
        var error = vt_error()
        var one: Float = 0, other: Float = 0
        let status = vt_temporal_shift_forward_f32(&one, &other, 1 << 40, 1 << 20, 1 << 10, 1, 1, 8, 0, &error)
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("overflows"), message(error))
        XCTAssertEqual(vt_temporal_shift_inplace_forward_f64(nil, Int64.max, 2, 1, 1, 1, 8, 0, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        // Empty, yet h * w alone overflows: still an error, not a trap.
        XCTAssertEqual(vt_temporal_shift_forward_f32(nil, nil, 0, 1, 1 << 32, 1 << 32, 1, 8, 0, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("overflows"), message(error))
        var handle: OpaquePointer?
        XCTAssertEqual(createStream([0, 1, 1 << 32, 1 << 32], foldDiv: 8, dtype: Float.dlType, &handle, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertNil(handle)
    }

    func testNullPointers() {
        var buffer = [Double](repeating: 0, count: 8)
        var error = vt_error()
        XCTAssertEqual(vt_temporal_shift_forward_f64(nil, &buffer, 2, 4, 1, 1, 2, 2, 0, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_shift_forward_f64: x is NULL")
        XCTAssertEqual(vt_temporal_shift_backward_f64(&buffer, nil, 2, 4, 1, 1, 2, 2, 0, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_shift_backward_f64: grad_x is NULL")
        XCTAssertEqual(vt_temporal_shift_inplace_backward_f32(nil, 2, 4, 1, 1, 2, 2, 0, &error), Int32(VT_ERR_NULL_POINTER))
        // Empty tensors need no data, and a NULL vt_error is fine.
        XCTAssertEqual(vt_temporal_shift_forward_f32(nil, nil, 0, 4, 1, 1, 2, 2, 0, nil), Int32(VT_OK))
        XCTAssertEqual(vt_temporal_shift_forward_f32(nil, nil, 4, 0, 1, 1, 2, 2, 1, nil), Int32(VT_OK))
    }

    func testOverlappingOutput() {
        var buffer = [Float](repeating: 0, count: 16)
        var error = vt_error()
        let status = buffer.withUnsafeMutableBufferPointer { b in
            vt_temporal_shift_forward_f32(b.baseAddress, b.baseAddress! + 4, 2, 4, 1, 1, 2, 2, 0, &error)
        }
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("y overlaps x"), message(error))
    }

    func testSuccessClearsTheErrorRecord() {
        var error = vt_error()
        XCTAssertEqual(vt_temporal_shift_forward_f32(nil, nil, 0, 0, 0, 0, 0, 8, 0, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(vt_temporal_shift_forward_f32(nil, nil, 0, 0, 0, 0, 1, 8, 0, &error), Int32(VT_OK))
        XCTAssertEqual(error.status, Int32(VT_OK))
        XCTAssertEqual(message(error), "")
    }

    func testStreamErrors() throws {
        var error = vt_error()
        var handle: OpaquePointer?
        var first = [Float](repeating: 0, count: 32)
        XCTAssertEqual(createStream([1, 8, 2, 2], foldDiv: 0, dtype: Float.dlType, data: &first, &handle, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("fold_div=0"), message(error))
        let int32 = DLDataType(code: UInt8(kDLInt.rawValue), bits: 32, lanes: 1)
        XCTAssertEqual(createStream([1, 8, 2, 2], foldDiv: 8, dtype: int32, data: &first, &handle, &error),
                       Int32(VT_ERR_UNSUPPORTED))
        XCTAssertTrue(message(error).contains("frame must be float32 or float64, got int32"), message(error))
        XCTAssertEqual(createStream([1, 8, 2, 2], foldDiv: 8, dtype: Float.dlType, data: &first, nil, &error),
                       Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(createStream([1 << 40, 1 << 40, 2, 2], foldDiv: 8, dtype: Float.dlType, &handle, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(createStream([1, 8, 2], foldDiv: 8, dtype: Float.dlType, data: &first, &handle, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("frame must have 4 dims (N, C, H, W)"), message(error))
        XCTAssertNil(handle)

        XCTAssertEqual(createStream([1, 8, 2, 2], foldDiv: 4, dtype: Float.dlType, data: &first, &handle, &error),
                       Int32(VT_OK))
        let stream = try XCTUnwrap(handle)
        defer { vt_temporal_shift_stream_free(stream) }
        var frame = [Float](repeating: 1, count: 32)
        var out = [Float](repeating: -7, count: 32)
        XCTAssertEqual(vt_temporal_shift_stream_step_f32(stream, &frame, &out, 1, 8, 2, 3, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("frame shape [1, 8, 2, 3]"), message(error))
        var frame64 = [Double](repeating: 1, count: 32)
        var out64 = [Double](repeating: -7, count: 32)
        XCTAssertEqual(vt_temporal_shift_stream_step_f64(stream, &frame64, &out64, 1, 8, 2, 2, &error), Int32(VT_ERR_UNSUPPORTED))
        XCTAssertTrue(message(error).contains("float32"), message(error))
        XCTAssertEqual(vt_temporal_shift_stream_step_f32(stream, nil, &out, 1, 8, 2, 2, &error), Int32(VT_ERR_NULL_POINTER))
        let aliased = out.withUnsafeMutableBufferPointer { b in
            vt_temporal_shift_stream_step_f32(stream, b.baseAddress, b.baseAddress, 1, 8, 2, 2, &error)
        }
        XCTAssertEqual(aliased, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("out overlaps frame"), message(error))
        XCTAssertEqual(vt_temporal_shift_stream_step_f32(nil, &frame, &out, 1, 8, 2, 2, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_shift_stream_step_f32: stream is NULL")
        XCTAssertEqual(vt_temporal_shift_stream_reset(nil, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(out, [Float](repeating: -7, count: 32))
        XCTAssertEqual(out64, [Double](repeating: -7, count: 32))
        vt_temporal_shift_stream_free(nil)
    }
}
