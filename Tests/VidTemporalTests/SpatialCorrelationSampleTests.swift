import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Spatial correlation sampling (the whole argument set) against the peer's definition, the
/// bilinear adjoint identities of its backward, the output size, and bad input.
final class SpatialCorrelationSampleTests: XCTestCase {
    typealias Axis = SpatialCorrelationSampleReference.Axis
    struct Case: Sendable { var b: Int, c: Int, h: Int, w: Int, rows: Axis, columns: Axis }
    // The peer benchmark's defaults; an even patch with kernel 1; rectangular everything, negative
    // padding and dilation_patch; the correlation's own case; displacements past the image.
    static let cases = [Case(b: 2, c: 3, h: 9, w: 10, rows: Axis(3, 3, 2, 1, 2, 2), columns: Axis(3, 3, 2, 1, 2, 2)),
                        Case(b: 1, c: 2, h: 5, w: 6, rows: Axis(1, 4, 1, 0, 1, 1), columns: Axis(1, 4, 1, 0, 1, 1)),
                        Case(b: 1, c: 4, h: 7, w: 19, rows: Axis(3, 2, 1, -1, 2, 1), columns: Axis(2, 5, 3, 2, 1, -2)),
                        Case(b: 2, c: 3, h: 6, w: 17, rows: Axis(1, 5, 1, 0, 1, 2), columns: Axis(1, 5, 1, 0, 1, 2)),
                        Case(b: 1, c: 2, h: 4, w: 4, rows: Axis(2, 3, 1, 1, 1, 9), columns: Axis(2, 3, 2, 0, 1, 1))]

    func call<T: ShiftScalar>(_ k: Case, _ in1: [T], _ in2: [T], grad: [T]? = nil) -> (out: [T], grad1: [T], grad2: [T]) {
        let (oh, ow) = (k.rows.output(k.h), k.columns.output(k.w))
        let dims = [k.b, k.c, k.h, k.w], outDims = [k.b, k.rows.patch, k.columns.patch, oh, ow]
        let (t1, t2) = (HostTensor(in1, shape: dims), HostTensor(in2, shape: dims))
        let out = HostTensor([T](repeating: -7, count: outDims.reduce(1, *)), shape: outDims)
        let g = HostTensor(grad ?? [T](repeating: 0, count: outDims.reduce(1, *)), shape: outDims)
        let (g1, g2) = (HostTensor([T](repeating: -7, count: in1.count), shape: dims),
                        HostTensor([T](repeating: -7, count: in1.count), shape: dims))
        let (r, s) = (k.rows, k.columns)
        var error = vt_error()
        XCTAssertEqual(vt_spatial_correlation_sample_forward(
            t1.dl, t2.dl, out.dl, Int64(r.kernel), Int64(s.kernel), Int64(r.patch), Int64(s.patch), Int64(r.stride),
            Int64(s.stride), Int64(r.padding), Int64(s.padding), Int64(r.dilation), Int64(s.dilation),
            Int64(r.dilationPatch), Int64(s.dilationPatch), &error), Int32(VT_OK), message(error))
        XCTAssertEqual(vt_spatial_correlation_sample_backward(
            g.dl, t1.dl, t2.dl, g1.dl, g2.dl, Int64(r.kernel), Int64(s.kernel), Int64(r.patch), Int64(s.patch),
            Int64(r.stride), Int64(s.stride), Int64(r.padding), Int64(s.padding), Int64(r.dilation), Int64(s.dilation),
            Int64(r.dilationPatch), Int64(s.dilationPatch), &error), Int32(VT_OK), message(error))
        return (out.values(), g1.values(), g2.values())
    }

    func testForwardEqualsDefinition() {
        var random = SeededRandom(seed: 110)
        for k in Self.cases {
            let n = k.b * k.c * k.h * k.w
            let in1: [Double] = random.uniform(n), in2: [Double] = random.uniform(n)
            let want = SpatialCorrelationSampleReference.forward(in1, in2, b: k.b, c: k.c, h: k.h, w: k.w, rows: k.rows,
                                                                 columns: k.columns)
            assertClose(call(k, in1, in2).out, want, Tolerance.of("gemm", .float64), "\(k)")
            assertClose(call(k, in1.map(Float.init), in2.map(Float.init)).out, want, Tolerance.of("gemm", .float32),
                        "float32 \(k)")
        }
    }

    /// The op is bilinear: <out(in1, in2), g> = <in1, grad_input1(g)> = <in2, grad_input2(g)>.
    func testBackwardAdjoints() {
        var random = SeededRandom(seed: 111)
        for k in Self.cases {
            let n = k.b * k.c * k.h * k.w
            let in1: [Double] = random.uniform(n), in2: [Double] = random.uniform(n)
            let g: [Double] = random.uniform(k.b * k.rows.patch * k.columns.patch * k.rows.output(k.h) * k.columns.output(k.w))
            let result = call(k, in1, in2, grad: g)
            let value = dot(result.out, g)
            let tolerance = Tolerance.of("adjoint", .float64) * max(1, abs(value))
            XCTAssertEqual(value, dot(in1, result.grad1), accuracy: tolerance, "in input1 \(k)")
            XCTAssertEqual(value, dot(in2, result.grad2), accuracy: tolerance, "in input2 \(k)")
        }
    }

    func testOutputSizeAndErrors() {
        var count: Int64 = -1
        var error = vt_error()
        XCTAssertEqual(vt_spatial_correlation_sample_output_size(100, 3, 1, 2, 2, &count, &error), Int32(VT_OK))
        XCTAssertEqual(count, 49)
        // The peer truncates: (2 - 3) / 2 + 1 = 1, where floor division would give 0.
        XCTAssertEqual(vt_spatial_correlation_sample_output_size(2, 3, 0, 1, 2, &count, &error), Int32(VT_OK))
        XCTAssertEqual(count, 1)
        XCTAssertEqual(vt_spatial_correlation_sample_output_size(1, 4, 0, 1, 1, &count, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(withUnsafeBytes(of: error.argument) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) },
                       "kernel_size")
        XCTAssertEqual(vt_spatial_correlation_sample_output_size(4, 1, 0, 1, 0, &count, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(message(error), "vt_spatial_correlation_sample_output_size: stride=0 must be >= 1")
        XCTAssertEqual(vt_spatial_correlation_sample_output_size(4, .max, .max, 2, 1, &count, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(vt_spatial_correlation_sample_output_size(4, 1, 0, 1, 1, nil, &error), Int32(VT_ERR_NULL_POINTER))
        // An output whose height is not the derived one, named with the function that derives it;
        // nothing written.
        let f = HostTensor([Float](repeating: 1, count: 16), shape: [1, 1, 4, 4])
        let out = HostTensor([Float](repeating: -7, count: 9), shape: [1, 1, 1, 3, 3])
        XCTAssertEqual(vt_spatial_correlation_sample_forward(f.dl, f.dl, out.dl, 3, 3, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_spatial_correlation_sample_forward: out.shape[3]=3 must be OH=2 = "
            + "vt_spatial_correlation_sample_output_size(H=4, KH=3, PADH=1, DILH=1, SH=2)")
        XCTAssertEqual(out.values(Float.self), [Float](repeating: -7, count: 9))
    }
}
