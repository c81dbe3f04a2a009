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
        var dims: [Int] { [clips * segments, channels, positions] }
        var attnDims: [Int] { [groups, groups, segments, segments] }
    }

    static let cases = [Case(clips: 2, segments: 3, channels: 4, positions: 5, groups: 1),
                        Case(clips: 1, segments: 8, channels: 16, positions: 3, groups: 8),
                        Case(clips: 3, segments: 1, channels: 6, positions: 1, groups: 2),
                        Case(clips: 1, segments: 4, channels: 8, positions: 4097, groups: 2)]  // > one column block

    func forward<T: ShiftScalar>(_ c: Case, _ v: [T], _ attn: [T]) -> [T] {
        let (tv, ta) = (HostTensor(v, shape: c.dims), HostTensor(attn, shape: c.attnDims))
        let y = HostTensor([T](repeating: -7, count: v.count), shape: c.dims)
        XCTAssertEqual(vt_global_temporal_attention_forward(tv.dl, ta.dl, y.dl, Int64(c.segments), nil), Int32(VT_OK))
        return y.values()
    }

    func backward<T: ShiftScalar>(_ c: Case, _ gy: [T], _ v: [T], _ attn: [T]) -> ([T], [T]) {
        let (tg, tv, ta) = (HostTensor(gy, shape: c.dims), HostTensor(v, shape: c.dims), HostTensor(attn, shape: c.attnDims))
        let gv = HostTensor([T](repeating: -7, count: v.count), shape: c.dims)
        let ga = HostTensor([T](repeating: -7, count: attn.count), shape: c.attnDims)
        XCTAssertEqual(vt_global_temporal_attention_backward(tg.dl, tv.dl, ta.dl, gv.dl, ga.dl, Int64(c.segments), nil),
                       Int32(VT_OK))
        return (gv.values(), ga.values())
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
            assertClose(forward(c, v.map(Float.init), attn.map(Float.init)), y, Tolerance.of("gemm", .float32),
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
        let (gv, ga) = backward(c, gy32, v32, attn32)
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
        let buffer = HostTensor([Float](repeating: 1, count: 64), shape: [64])
        let out = HostTensor([Float](repeating: -7, count: 64), shape: [64])
        var error = vt_error()
        func forward(_ v: [Int64], _ attn: [Int64], segments: Int64, data: Bool = true) -> Int32 {
            let f32 = Float.dlType
            let tv = HostTensor(shape: v, dtype: f32, data: buffer.dl.pointee.data)
            let ta = HostTensor(shape: attn, dtype: f32, data: data ? buffer.dl.pointee.data : nil)
            let ty = HostTensor(shape: v, dtype: f32, data: out.dl.pointee.data)
            return vt_global_temporal_attention_forward(tv.dl, ta.dl, ty.dl, segments, &error)
        }
        XCTAssertEqual(forward([2, 6, 1], [4, 4, 2, 2], segments: 2), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_global_temporal_attention_forward: v.shape[1]=6 is not divisible by G=attn.shape[0]=4")
        XCTAssertEqual(forward([3, 4, 1], [2, 2, 2, 2], segments: 2), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("v.shape[0]=3 (N*T) is not a multiple of num_segments=2"), message(error))
        XCTAssertEqual(forward([2, 4, 1], [2, 2, 2, 2], segments: 2, data: false), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_global_temporal_attention_forward: attn.data is NULL")
        XCTAssertEqual(forward([2, 4, 1], [2, 2, 2, 2], segments: 0), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(forward([2, 4, 1], [2, 2, 3, 3], segments: 2), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_global_temporal_attention_forward: attn.shape[2]=3 does not match num_segments=2 (T)")
        XCTAssertEqual(out.values(Float.self), [Float](repeating: -7, count: 64))
        let (v, attn) = (HostTensor(shape: [2, 4, 1], dtype: Float.dlType, data: buffer.dl.pointee.data),
                         HostTensor(shape: [2, 2, 2, 2], dtype: Float.dlType, data: buffer.dl.pointee.data))
        let gv = HostTensor(shape: [2, 4, 1], dtype: Float.dlType, data: out.dl.pointee.data)
        let ga = HostTensor(shape: [2, 2, 2, 2], dtype: Float.dlType, data: out.dl.pointee.data! + 16)
        XCTAssertEqual(vt_global_temporal_attention_backward(v.dl, v.dl, attn.dl, gv.dl, ga.dl, 2, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("grad_attn overlaps grad_v"), message(error))
    }
}
