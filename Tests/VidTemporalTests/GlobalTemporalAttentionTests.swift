import CVidTemporal
import VidTemporalTestSupport
import XCTest

final class GlobalTemporalAttentionTests: XCTestCase {
    override func tearDown() {
        XCTAssertEqual(vt_set_num_threads(0, nil), Int32(VT_OK))
    }

    struct Case {
        var clips: Int, segments: Int, channels: Int, positions: Int, groups: Int
        var count: Int { clips * segments * channels * positions }
        var attnCount: Int { groups * groups * segments * segments }
    }

    static let cases = [Case(clips: 2, segments: 3, channels: 4, positions: 5, groups: 1),
                        Case(clips: 1, segments: 8, channels: 16, positions: 3, groups: 8),
                        Case(clips: 3, segments: 1, channels: 6, positions: 1, groups: 2),
                        Case(clips: 1, segments: 4, channels: 8, positions: 4097, groups: 2)]  // > one column block

    func forward(_ c: Case, _ v: [Double], _ attn: [Double]) -> [Double] {
        var y = [Double](repeating: -7, count: v.count)
        XCTAssertEqual(vt_global_temporal_attention_forward_f64(v, attn, &y, Int64(c.clips * c.segments), Int64(c.channels),
                                                                Int64(c.positions), Int64(c.segments), Int64(c.groups), nil),
                       Int32(VT_OK))
        return y
    }

    func forward32(_ c: Case, _ v: [Float], _ attn: [Float]) -> [Float] {
        var y = [Float](repeating: -7, count: v.count)
        XCTAssertEqual(vt_global_temporal_attention_forward_f32(v, attn, &y, Int64(c.clips * c.segments), Int64(c.channels),
                                                                Int64(c.positions), Int64(c.segments), Int64(c.groups), nil),
                       Int32(VT_OK))
        return y
    }

    func backward(_ c: Case, _ gy: [Double], _ v: [Double], _ attn: [Double]) -> ([Double], [Double]) {
        var gv = [Double](repeating: -7, count: v.count)
        var ga = [Double](repeating: -7, count: attn.count)
        XCTAssertEqual(vt_global_temporal_attention_backward_f64(gy, v, attn, &gv, &ga, Int64(c.clips * c.segments),
                                                                 Int64(c.channels), Int64(c.positions), Int64(c.segments),
                                                                 Int64(c.groups), nil), Int32(VT_OK))
        return (gv, ga)
    }

    func testMixingEqualsReference() {
        var random = SeededRandom(seed: 30)
        for c in Self.cases {
            let v: [Double] = random.uniform(c.count)
            let attn: [Double] = random.uniform(c.attnCount)
            let gy: [Double] = random.uniform(c.count)
            let (y, gv, ga) = GTAReference.mix(v, attn, gy, clips: c.clips, segments: c.segments, channels: c.channels,
                                               positions: c.positions, groups: c.groups)
            assertClose(forward(c, v, attn), y, Tolerance.of("gemm", .float64), "y \(c)")
            assertClose(forward32(c, v.map(Float.init), attn.map(Float.init)), y, Tolerance.of("gemm", .float32),
                        "y float32 \(c)")
            let (gotV, gotA) = backward(c, gy, v, attn)
            assertClose(gotV, gv, Tolerance.of("gemm", .float64), "grad_v \(c)")
            assertClose(gotA, ga, Tolerance.of("gemm", .float64), "grad_attn \(c)")
        }
    }

    func testFloat32Backward() {
        var random = SeededRandom(seed: 33)
        let c = Self.cases[1]
        // Float inputs, so the Double reference sees exactly the same numbers.
        let v32: [Float] = random.uniform(c.count), attn32: [Float] = random.uniform(c.attnCount)
        let gy32: [Float] = random.uniform(c.count)
        let (v, attn, gy) = (v32.map(Double.init), attn32.map(Double.init), gy32.map(Double.init))
        let (_, wantV, wantA) = GTAReference.mix(v, attn, gy, clips: c.clips, segments: c.segments, channels: c.channels,
                                                 positions: c.positions, groups: c.groups)
        var gv = [Float](repeating: -7, count: c.count), ga = [Float](repeating: -7, count: c.attnCount)
        XCTAssertEqual(vt_global_temporal_attention_backward_f32(gy32, v32, attn32, &gv, &ga, Int64(c.clips * c.segments), Int64(c.channels),
                                                                 Int64(c.positions), Int64(c.segments), Int64(c.groups),
                                                                 nil), Int32(VT_OK))
        assertClose(gv, wantV, Tolerance.of("gemm", .float32), "grad_v float32")
        assertClose(ga, wantA, Tolerance.of("gemm", .float32), "grad_attn float32")
    }

    func testAdjointInV() {
        var random = SeededRandom(seed: 31)
        for c in Self.cases {
            let v: [Double] = random.uniform(c.count)
            let attn: [Double] = random.uniform(c.attnCount)
            let gy: [Double] = random.uniform(c.count)
            let lhs = dot(forward(c, v, attn), gy)
            let rhs = dot(v, backward(c, gy, v, attn).0)
            XCTAssertEqual(lhs, rhs, accuracy: Tolerance.of("adjoint", .float64) * max(1, abs(lhs)), "\(c)")
        }
    }

    /// The attn gradient sums over clips and column blocks in a fixed layout (here 40 blocks dealt
    /// into 32 partial sums): bit-identical for any thread count.
    func testResultsDoNotDependOnThreadCount() {
        var random = SeededRandom(seed: 32)
        let c = Case(clips: 8, segments: 2, channels: 16, positions: 5000, groups: 4)
        let v: [Double] = random.uniform(c.count)
        let attn: [Double] = random.uniform(c.attnCount)
        let gy: [Double] = random.uniform(c.count)
        var results: [[Double]] = []
        for threads in [1, 2, 3] {
            XCTAssertEqual(vt_set_num_threads(Int32(threads), nil), Int32(VT_OK))
            let (gv, ga) = backward(c, gy, v, attn)
            results.append(forward(c, v, attn) + gv + ga)
        }
        XCTAssertEqual(results[1].map(\.bitPattern), results[0].map(\.bitPattern))
        XCTAssertEqual(results[2].map(\.bitPattern), results[0].map(\.bitPattern))
    }

    func testErrors() {
        let buffer = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: -7, count: 64)
        var error = vt_error()
        XCTAssertEqual(vt_global_temporal_attention_forward_f32(buffer, buffer, &out, 2, 6, 1, 2, 4, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_global_temporal_attention_forward_f32: c=6 is not divisible by groups=4")
        XCTAssertEqual(vt_global_temporal_attention_forward_f32(buffer, buffer, &out, 3, 4, 1, 2, 2, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("nt=3 (v.shape[0]) is not a multiple of num_segments=2"), message(error))
        XCTAssertEqual(vt_global_temporal_attention_forward_f32(buffer, nil, &out, 2, 4, 1, 2, 2, &error),
                       Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(vt_global_temporal_attention_forward_f32(buffer, buffer, &out, 2, 4, 1, 2, 0, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(out, [Float](repeating: -7, count: 64))
        let overlap = out.withUnsafeMutableBufferPointer { o in
            vt_global_temporal_attention_backward_f32(buffer, buffer, buffer, o.baseAddress, o.baseAddress! + 4, 2, 4, 1,
                                                      2, 2, &error)
        }
        XCTAssertEqual(overlap, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("grad_attn overlaps grad_v"), message(error))
    }
}
