import CVidTemporal
import XCTest

/// The conventions every function of the v2 ABI shares, checked once on representative
/// functions: device, dtype, strides, byte_offset, alignment, overlap, optional outputs, and shape
/// mismatches that name both tensors. Nothing is written on an error.
final class TensorABITests: XCTestCase {
    private func clip(_ dims: [Int] = [4, 8, 2, 3]) -> HostTensor {
        HostTensor((0..<dims.reduce(1, *)).map { Float($0) + 1 }, shape: dims)
    }

    /// Runs a forward shift of x into a fresh y (filled with 7); returns status, message and y.
    private func shift(_ x: HostTensor, _ y: HostTensor? = nil, segments: Int64 = 2) -> (Int32, String, HostTensor) {
        let y = y ?? HostTensor(repeating: Float(7), shape: [4, 8, 2, 3])
        var error = vt_error()
        let status = vt_temporal_shift_forward(x.dl, y.dl, segments, 4, Int32(VT_SHIFT_BIDIRECTIONAL), &error)
        return (status, message(of: error), y)
    }

    func testNonCPUDeviceIsUnsupported() {
        let x = clip()
        x.dl.pointee.device = DLDevice(device_type: kDLCUDA, device_id: 1)
        let (status, text, y) = shift(x)
        XCTAssertEqual(status, Int32(VT_ERR_UNSUPPORTED))
        XCTAssertEqual(text, "vt_temporal_shift_forward: x is on kDLCUDA:1; vidtemporal reads CPU memory (kDLCPU) only")
        XCTAssertEqual(y.values(Float.self), [Float](repeating: 7, count: 192), "nothing written")
    }

    func testUnsupportedDTypesAreNamed() {
        let cases: [(DLDataType, String)] = [
            (DLDataType(code: UInt8(kDLFloat.rawValue), bits: 8, lanes: 1), "float8"),
            (DLDataType(code: UInt8(kDLBfloat.rawValue), bits: 32, lanes: 1), "bfloat32"),
            (DLDataType(code: UInt8(kDLInt.rawValue), bits: 32, lanes: 1), "int32"),
            (DLDataType(code: UInt8(kDLFloat.rawValue), bits: 32, lanes: 4), "float32x4"),
        ]
        for (dtype, name) in cases {
            let x = clip()
            x.dl.pointee.dtype = dtype
            let (status, text, _) = shift(x)
            XCTAssertEqual(status, Int32(VT_ERR_UNSUPPORTED), name)
            XCTAssertEqual(text, "vt_temporal_shift_forward: x must be float32, float64, float16 or bfloat16, got \(name)")
        }
    }

    func testTensorsOfOneCallShareTheirDType() {
        let (status, text, _) = shift(clip(), HostTensor(repeating: 7.0, shape: [4, 8, 2, 3]))
        XCTAssertEqual(status, Int32(VT_ERR_UNSUPPORTED))
        XCTAssertTrue(text.hasSuffix("y is float64 but x is float32; all floating tensors of a call share one dtype"), text)
    }

    func testStridesMustBeCompactExceptOnUnitDims() {
        let x = clip()
        x.setStrides([48, 6, 3, 1])  // the compact strides, spelled out
        XCTAssertEqual(shift(x).0, Int32(VT_OK))
        let single = HostTensor((0..<48).map(Float.init), shape: [2, 8, 1, 3])
        single.setStrides([24, 3, 999, 1])  // a size-1 dim's stride is never used
        var error = vt_error()
        let out = HostTensor(repeating: Float(0), shape: [2, 8, 1, 3])
        XCTAssertEqual(vt_temporal_shift_forward(single.dl, out.dl, 1, 4, 0, &error), Int32(VT_OK), message(of: error))
        x.setStrides([1, 4, 32, 64])  // column-major
        let (status, text, y) = shift(x)
        XCTAssertEqual(status, Int32(VT_ERR_UNSUPPORTED))
        XCTAssertTrue(text.contains("x must be C-contiguous (compact row-major) or channels_last, got strides (1, 4, 32, 64) "
            + "for shape (4, 8, 2, 3)"), text)
        XCTAssertEqual(y.values(Float.self), [Float](repeating: 7, count: 192))
    }

    func testByteOffsetIsHonoured() {
        let values = (0..<192).map { Float($0) + 1 }
        let plain = HostTensor(values, shape: [4, 8, 2, 3])
        let offset = HostTensor([Float](repeating: -1, count: 5) + values, shape: [197])
        offset.view([4, 8, 2, 3], offset: 5)
        XCTAssertEqual(shift(plain).2.values(Float.self), shift(offset).2.values(Float.self))
        // Not aligned to the element size: refused.
        offset.dl.pointee.byte_offset = 2
        let (status, text, _) = shift(offset)
        XCTAssertEqual(status, Int32(VT_ERR_UNSUPPORTED))
        XCTAssertTrue(text.contains("x's first element (data + byte_offset) is not aligned to its 4-byte elements"), text)
    }

    func testOutputOverlappingAnInputIsRefused() {
        let storage = HostTensor((0..<300).map(Float.init), shape: [300])
        let x = HostTensor((0..<300).map(Float.init), shape: [300])
        x.view([4, 8, 2, 3], offset: 0)
        // y over the same storage as x from element 100 on: overlapping.
        let y = HostTensor((0..<300).map(Float.init), shape: [300])
        y.dl.pointee.data = x.dl.pointee.data
        y.view([4, 8, 2, 3], offset: 100)
        let (status, text, _) = shift(x, y)
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(text.hasSuffix("y overlaps x; they must be separate arrays"), text)
        XCTAssertEqual(x.storageValues(Float.self), storage.values(Float.self), "nothing written")
    }

    func testRequiredTensorsAndDataMustBePresent() {
        var error = vt_error()
        let y = HostTensor(repeating: Float(0), shape: [4, 8, 2, 3])
        XCTAssertEqual(vt_temporal_shift_forward(nil, y.dl, 2, 4, 0, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(of: error), "vt_temporal_shift_forward: x is NULL")
        let x = clip()
        x.dl.pointee.data = nil
        XCTAssertEqual(vt_temporal_shift_forward(x.dl, y.dl, 2, 4, 0, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(of: error), "vt_temporal_shift_forward: x.data is NULL")
        // An empty tensor may have no data.
        let empty = HostTensor([Float](), shape: [0, 8, 2, 3])
        empty.dl.pointee.data = nil
        let emptyOut = HostTensor([Float](), shape: [0, 8, 2, 3])
        XCTAssertEqual(vt_temporal_shift_forward(empty.dl, emptyOut.dl, 2, 4, 0, &error), Int32(VT_OK))
    }

    func testNegativeDimsAndWrongRank() {
        let x = clip()
        x.dl.pointee.shape[2] = -2
        var (status, text, _) = shift(x)
        XCTAssertEqual(status, Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(text, "vt_temporal_shift_forward: x.shape[2]=-2 is negative")
        (status, text, _) = shift(HostTensor([Float](repeating: 0, count: 8), shape: [8]))
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(text, "vt_temporal_shift_forward: x must have 4 dims (N*T, C, H, W), got shape (8,)")
    }

    func testShapeMismatchesNameBothTensors() {
        var (status, text, _) = shift(clip([4, 8, 2, 3]), HostTensor(repeating: Float(0), shape: [4, 8, 2, 4]))
        XCTAssertEqual(status, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(text, "vt_temporal_shift_forward: y.shape[3]=4 does not match x.shape[3]=3 (W)")
        (status, text, _) = shift(clip([5, 8, 2, 3]), segments: 2)
        XCTAssertEqual(text, "vt_temporal_shift_forward: x.shape[0]=5 (N*T) is not a multiple of num_segments=2")

        // Interlace: N from x and num_segments, T from num_segments, G from offsets.
        let x = clip([4, 8, 2, 3])
        let out = HostTensor(repeating: Float(0), shape: [4, 8, 2, 3])
        func interlace(_ offsets: [Int], _ weights: [Int]) -> String {
            var error = vt_error()
            let o = HostTensor(repeating: Float(0.5), shape: offsets), w = HostTensor(repeating: Float(1), shape: weights)
            _ = vt_temporal_interlace_forward(x.dl, o.dl, w.dl, out.dl, 2, 2, &error)
            return message(of: error)
        }
        XCTAssertEqual(interlace([3, 2], [2, 2, 2]),
                       "vt_temporal_interlace_forward: offsets.shape[0]=3 does not match x.shape[0]/num_segments=2 (N)")
        XCTAssertEqual(interlace([2, 2], [2, 3, 2]),
                       "vt_temporal_interlace_forward: weights.shape[1]=3 does not match num_segments=2 (T)")
        XCTAssertEqual(interlace([2, 2], [2, 2, 1]),
                       "vt_temporal_interlace_forward: weights.shape[2]=1 does not match offsets.shape[1]=2 (G)")
        XCTAssertEqual(interlace([2, 2], [2, 2, 2]), "")

        // A constant dim, and a size another function computes (the DAM workspace).
        var error = vt_error()
        let corr = HostTensor(repeating: Float(0), shape: [1, 3, 3, 2, 2])
        let displacement = HostTensor(repeating: Float(0), shape: [1, 3, 2, 2])
        let confidence = HostTensor(repeating: Float(0), shape: [1, 1, 2, 2])
        XCTAssertEqual(vt_kernel_soft_argmax_forward(corr.dl, displacement.dl, confidence.dl, 5, 100, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(of: error),
                       "vt_kernel_soft_argmax_forward: displacement.shape[1]=3 must be 2 (B, 2, H, W)")
    }

    func testAnyShapeAndZeroDimensionalTensors() {
        var error = vt_error()
        let p = HostTensor([Float(0.25), 0.5, 0.75, 0.5], shape: [2, 2])
        let labels = HostTensor([Float(0), 1, 1, 0], shape: [2, 2])
        let loss = HostTensor([Float(-1)], shape: [])
        XCTAssertEqual(vt_dam_loss_forward(p.dl, labels.dl, loss.dl, &error), Int32(VT_OK), message(of: error))
        let expected = -(log(0.75) + log(0.5) + log(0.75) + log(0.5)) / 4
        XCTAssertEqual(Double(loss.values(Float.self)[0]), expected, accuracy: 1e-6)
        let flat = HostTensor([Float(0), 1, 1, 0], shape: [4])
        XCTAssertEqual(vt_dam_loss_forward(p.dl, flat.dl, loss.dl, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(of: error),
                       "vt_dam_loss_forward: labels has shape (4,) but p has shape (2, 2); they must match")
        let vector = HostTensor([Float(0)], shape: [1])
        XCTAssertEqual(vt_dam_loss_forward(p.dl, labels.dl, vector.dl, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(of: error), "vt_dam_loss_forward: loss must be 0-d (one element), got shape (1,)")
    }

    func testIndexTensorsAreInt64() {
        var error = vt_error()
        let query = HostTensor([Float](repeating: 1, count: 2), shape: [1, 2])
        let other = HostTensor([Float](repeating: 1, count: 6), shape: [1, 3, 2])
        let floatStart = HostTensor([Float(0)], shape: [1])
        XCTAssertEqual(vt_cml_localize(query.dl, other.dl, floatStart.dl, 1, &error), Int32(VT_ERR_UNSUPPORTED))
        XCTAssertEqual(message(of: error), "vt_cml_localize: start must be int64, got float32")
        let start = HostTensor([Int64(-1)], shape: [1])
        XCTAssertEqual(vt_cml_localize(query.dl, other.dl, start.dl, 1, &error), Int32(VT_OK))
        XCTAssertEqual(start.values(Int64.self), [0])
    }

    func testAbsentOptionalOutputsAreSkippedAndTheOthersUnchanged() {
        let x = HostTensor((0..<96).map { Float($0 % 7) - 3 }, shape: [4, 8, 1, 3])
        let offsets = HostTensor([Float(0.3), -1.2, 0.7, 1.6], shape: [2, 2])
        let weights = HostTensor((0..<8).map { Float($0) / 4 + 0.5 }, shape: [2, 2, 2])
        let grad = HostTensor((0..<96).map { Float($0 % 5) - 2 }, shape: [4, 8, 1, 3])
        func run(_ want: [Bool]) -> [[Float]] {
            let outputs = [HostTensor(repeating: Float(9), shape: [4, 8, 1, 3]), HostTensor(repeating: Float(9), shape: [2, 2]),
                           HostTensor(repeating: Float(9), shape: [2, 2, 2])]
            var error = vt_error()
            let status = vt_temporal_interlace_backward(grad.dl, x.dl, offsets.dl, weights.dl, want[0] ? outputs[0].dl : nil,
                                                        want[1] ? outputs[1].dl : nil, want[2] ? outputs[2].dl : nil,
                                                        2, 2, &error)
            XCTAssertEqual(status, Int32(VT_OK), message(of: error))
            return outputs.map { $0.values(Float.self) }
        }
        let all = run([true, true, true])
        for mask in 0..<7 {
            let want = (0..<3).map { mask & (1 << $0) != 0 }
            let some = run(want)
            for i in 0..<3 {
                XCTAssertEqual(some[i], want[i] ? all[i] : [Float](repeating: 9, count: all[i].count), "mask \(mask) output \(i)")
            }
        }
    }
}
