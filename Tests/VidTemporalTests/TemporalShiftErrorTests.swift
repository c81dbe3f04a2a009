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
        let dims = shape.dims.map(Int64.init)
        let got = input.withUnsafeMutableBytes { x in
            output.withUnsafeMutableBytes { y in
                let (tx, ty) = (HostTensor(shape: dims, dtype: Float.dlType, data: x.baseAddress),
                                HostTensor(shape: dims, dtype: Float.dlType, data: y.baseAddress))
                return vt_temporal_shift_forward(tx.dl, ty.dl, Int64(shape.segments), Int64(shape.foldDiv), shape.mode,
                                                 &error)
            }
        }
        XCTAssertEqual(got, status, "\(shape)", file: file, line: line)
        XCTAssertEqual(error.status, status, file: file, line: line)
        XCTAssertTrue(message(error).hasPrefix("vt_temporal_shift_forward: "), message(error), file: file, line: line)
        XCTAssertTrue(message(error).contains(mentions), "'\(message(error))' lacks '\(mentions)'", file: file, line: line)
        XCTAssertTrue(output.allSatisfy { $0 == -7 }, "output was written", file: file, line: line)
    }

    func testBadScalarsAndShapes() {
        expectFailure(ShiftCase(clips: 1, segments: 0), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "num_segments=0")
        expectFailure(ShiftCase(clips: 0, segments: -2), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "num_segments=-2")
        expectFailure(ShiftCase(foldDiv: 0), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "fold_div=0")
        expectFailure(ShiftCase(foldDiv: -1), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "fold_div=-1")
        expectFailure(ShiftCase(mode: 7), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "mode=7")
        expectFailure(ShiftCase(channels: -3), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "x.shape[1]=-3 is negative")
        expectFailure(ShiftCase(width: -1), status: Int32(VT_ERR_INVALID_ARGUMENT), mentions: "x.shape[3]=-1 is negative")
    }

    func testNtNotAMultipleOfSegments() {
        let x = HostTensor([Float](repeating: 1, count: 10), shape: [10, 1, 1, 1])
        let y = HostTensor([Float](repeating: -7, count: 10), shape: [10, 1, 1, 1])
        var error = vt_error()
        XCTAssertEqual(vt_temporal_shift_forward(x.dl, y.dl, 8, 8, 0, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_temporal_shift_forward: x.shape[0]=10 (N*T) is not a multiple of num_segments=8")
        XCTAssertEqual(y.values(Float.self), [Float](repeating: -7, count: 10))
    }

    func testOverflowingDims() {
        var error = vt_error()
        // Addresses that are never read: the sizes fail first.
        let (somewhere, elsewhere) = (UnsafeMutableRawPointer(bitPattern: 1 << 20), UnsafeMutableRawPointer(bitPattern: 1 << 21))
        let x = HostTensor(shape: [1 << 40, 1 << 20, 1 << 10, 1], dtype: Float.dlType, data: somewhere)
        let y = HostTensor(shape: [1 << 40, 1 << 20, 1 << 10, 1], dtype: Float.dlType, data: elsewhere)
        XCTAssertEqual(vt_temporal_shift_forward(x.dl, y.dl, 1, 8, 0, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("overflows"), message(error))
        let huge = HostTensor(shape: [Int64.max, 2, 1, 1], dtype: Double.dlType, data: nil)
        XCTAssertEqual(vt_temporal_shift_inplace_forward(huge.dl, 1, 8, 0, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        // Empty, yet h * w alone overflows: still an error, not a trap.
        let empty = HostTensor(shape: [0, 1, 1 << 32, 1 << 32], dtype: Float.dlType, data: nil)
        let emptyOut = HostTensor(shape: [0, 1, 1 << 32, 1 << 32], dtype: Float.dlType, data: nil)
        XCTAssertEqual(vt_temporal_shift_forward(empty.dl, emptyOut.dl, 1, 8, 0, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("overflows"), message(error))
        var handle: OpaquePointer?
        XCTAssertEqual(createStream([0, 1, 1 << 32, 1 << 32], foldDiv: 8, dtype: Float.dlType, &handle, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertNil(handle)
    }

    func testNullPointers() {
        let buffer = HostTensor([Double](repeating: 0, count: 8), shape: [2, 4, 1, 1])
        var error = vt_error()
        XCTAssertEqual(vt_temporal_shift_forward(nil, buffer.dl, 2, 2, 0, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_shift_forward: x is NULL")
        XCTAssertEqual(vt_temporal_shift_backward(buffer.dl, nil, 2, 2, 0, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_shift_backward: grad_x is NULL")
        XCTAssertEqual(vt_temporal_shift_inplace_backward(nil, 2, 2, 0, &error), Int32(VT_ERR_NULL_POINTER))
        let noData = HostTensor(shape: [2, 4, 1, 1], dtype: Float.dlType, data: nil)
        XCTAssertEqual(vt_temporal_shift_inplace_forward(noData.dl, 2, 2, 0, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_shift_inplace_forward: x.data is NULL")
        // Empty tensors need no data, and a NULL vt_error is fine.
        for dims in [[0, 4, 1, 1], [4, 0, 1, 1]] as [[Int64]] {
            let (x, y) = (HostTensor(shape: dims, dtype: Float.dlType, data: nil),
                          HostTensor(shape: dims, dtype: Float.dlType, data: nil))
            XCTAssertEqual(vt_temporal_shift_forward(x.dl, y.dl, 2, 2, 1, nil), Int32(VT_OK))
        }
    }

    func testOverlappingOutput() {
        var buffer = [Float](repeating: 0, count: 16)
        var error = vt_error()
        let status = buffer.withUnsafeMutableBufferPointer { b in
            let x = HostTensor(shape: [2, 4, 1, 1], dtype: Float.dlType, data: b.baseAddress)
            let y = HostTensor(shape: [2, 4, 1, 1], dtype: Float.dlType, data: b.baseAddress! + 4)
            return vt_temporal_shift_forward(x.dl, y.dl, 2, 2, 0, &error)
        }
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("y overlaps x"), message(error))
    }

    func testSuccessClearsTheErrorRecord() {
        var error = vt_error()
        let (x, y) = (HostTensor(shape: [0, 0, 0, 0], dtype: Float.dlType, data: nil),
                      HostTensor(shape: [0, 0, 0, 0], dtype: Float.dlType, data: nil))
        XCTAssertEqual(vt_temporal_shift_forward(x.dl, y.dl, 0, 8, 0, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(vt_temporal_shift_forward(x.dl, y.dl, 1, 8, 0, &error), Int32(VT_OK))
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
        XCTAssertTrue(message(error).contains("frame must be float32, float64, float16 or bfloat16, got int32"), message(error))
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
        let frame = HostTensor([Float](repeating: 1, count: 32), shape: [1, 8, 2, 2])
        let out = HostTensor([Float](repeating: -7, count: 32), shape: [1, 8, 2, 2])
        let wide = HostTensor([Float](repeating: 1, count: 48), shape: [1, 8, 2, 3])
        let wideOut = HostTensor([Float](repeating: -7, count: 48), shape: [1, 8, 2, 3])
        XCTAssertEqual(vt_temporal_shift_stream_step(stream, wide.dl, wideOut.dl, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("frame shape [1, 8, 2, 3]"), message(error))
        let frame64 = HostTensor([Double](repeating: 1, count: 32), shape: [1, 8, 2, 2])
        let out64 = HostTensor([Double](repeating: -7, count: 32), shape: [1, 8, 2, 2])
        XCTAssertEqual(vt_temporal_shift_stream_step(stream, frame64.dl, out64.dl, &error), Int32(VT_ERR_UNSUPPORTED))
        XCTAssertTrue(message(error).contains("float32"), message(error))
        XCTAssertEqual(vt_temporal_shift_stream_step(stream, nil, out.dl, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(vt_temporal_shift_stream_step(stream, frame.dl, UnsafeMutablePointer(mutating: frame.dl), &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("out overlaps frame"), message(error))
        XCTAssertEqual(vt_temporal_shift_stream_step(nil, frame.dl, out.dl, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_temporal_shift_stream_step: stream is NULL")
        XCTAssertEqual(vt_temporal_shift_stream_reset(nil, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(out.values(Float.self), [Float](repeating: -7, count: 32))
        XCTAssertEqual(wideOut.values(Float.self), [Float](repeating: -7, count: 48))
        XCTAssertEqual(out64.values(Double.self), [Double](repeating: -7, count: 32))
        vt_temporal_shift_stream_free(nil)
    }
}
