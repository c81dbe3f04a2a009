import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Region pooling and unpooling against Double loops, their adjoints, and bad input.
final class RegionPoolTests: XCTestCase {
    static let shapes = [(b: 2, c: 3, s: 5, k: 2), (b: 1, c: 8, s: 49, k: 4), (b: 3, c: 1, s: 1, k: 1)]

    /// r = pool(x, assign) (B, C, K).
    private func pool<T: ShiftScalar>(_ x: [T], _ assign: [T], _ b: Int, _ c: Int, _ s: Int, _ k: Int,
                                      normalize: Int32) -> [T] {
        let (tx, ta) = (HostTensor(x, shape: [b, c, s]), HostTensor(assign, shape: [b, k, s]))
        let r = HostTensor([T](repeating: -7, count: b * c * k), shape: [b, c, k])
        XCTAssertEqual(vt_region_pool_forward(tx.dl, ta.dl, r.dl, normalize, nil), Int32(VT_OK))
        return r.values()
    }

    /// y = unpool(r, assign) (B, C, S).
    private func unpool<T: ShiftScalar>(_ r: [T], _ assign: [T], _ b: Int, _ c: Int, _ s: Int, _ k: Int) -> [T] {
        let (tr, ta) = (HostTensor(r, shape: [b, c, k]), HostTensor(assign, shape: [b, k, s]))
        let y = HostTensor([T](repeating: -7, count: b * c * s), shape: [b, c, s])
        XCTAssertEqual(vt_region_unpool_forward(tr.dl, ta.dl, y.dl, nil), Int32(VT_OK))
        return y.values()
    }

    func testPoolAndUnpoolEqualReference() {
        var random = SeededRandom(seed: 40)
        for (b, c, s, k) in Self.shapes {
            let x: [Double] = random.uniform(b * c * s)
            let assign: [Double] = random.uniform(b * k * s)
            let r: [Double] = random.uniform(b * c * k)
            for normalize in [Int32(0), 1] {
                let pooled = pool(x, assign, b, c, s, k, normalize: normalize)
                let scale = normalize != 0 ? 1 / Double(s) : 1
                assertClose(pooled, GTAReference.pool(x, assign, frames: b, channels: c, positions: s, regions: k,
                                                      scale: scale), Tolerance.of("gemm", .float64), "pool \((b, c, s, k))")
                assertClose(pool(x.map(Float.init), assign.map(Float.init), b, c, s, k, normalize: normalize), pooled,
                            Tolerance.of("gemm", .float32), "pool float32")
            }
            assertClose(unpool(r, assign, b, c, s, k), GTAReference.unpool(r, assign, frames: b, channels: c, positions: s,
                                                                           regions: k),
                        Tolerance.of("gemm", .float64), "unpool \((b, c, s, k))")
        }
    }

    /// Both ops are bilinear: each is checked as linear in either input against its backward.
    func testAdjointsInBothInputs() {
        var random = SeededRandom(seed: 41)
        let tolerance = Tolerance.of("adjoint", .float64)
        for (b, c, s, k) in Self.shapes {
            let x: [Double] = random.uniform(b * c * s)
            let assign: [Double] = random.uniform(b * k * s)
            let r: [Double] = random.uniform(b * c * k)
            let gr: [Double] = random.uniform(b * c * k)
            let gy: [Double] = random.uniform(b * c * s)
            let (tx, ta, tr) = (HostTensor(x, shape: [b, c, s]), HostTensor(assign, shape: [b, k, s]),
                                HostTensor(r, shape: [b, c, k]))
            let (tgr, tgy) = (HostTensor(gr, shape: [b, c, k]), HostTensor(gy, shape: [b, c, s]))
            let (gx, ga) = (HostTensor(x, shape: [b, c, s]), HostTensor(assign, shape: [b, k, s]))
            let (grr, ga2) = (HostTensor(r, shape: [b, c, k]), HostTensor(assign, shape: [b, k, s]))
            XCTAssertEqual(vt_region_pool_backward(tgr.dl, tx.dl, ta.dl, gx.dl, ga.dl, 1, nil), Int32(VT_OK))
            let poolValue = dot(pool(x, assign, b, c, s, k, normalize: 1), gr)
            XCTAssertEqual(poolValue, dot(x, gx.values()), accuracy: tolerance * max(1, abs(poolValue)), "pool in x")
            XCTAssertEqual(poolValue, dot(assign, ga.values()), accuracy: tolerance * max(1, abs(poolValue)),
                           "pool in assign")
            XCTAssertEqual(vt_region_unpool_backward(tgy.dl, tr.dl, ta.dl, grr.dl, ga2.dl, nil), Int32(VT_OK))
            let unpoolValue = dot(unpool(r, assign, b, c, s, k), gy)
            XCTAssertEqual(unpoolValue, dot(r, grr.values()), accuracy: tolerance * max(1, abs(unpoolValue)), "unpool in r")
            XCTAssertEqual(unpoolValue, dot(assign, ga2.values()), accuracy: tolerance * max(1, abs(unpoolValue)),
                           "unpool in assign")
        }
    }

    /// Empty tensors with no data still produce their (zero) gradients.
    func testEmptyDimsZeroTheGradients() {
        let f32 = Float.dlType
        let x = HostTensor([Float](repeating: 1, count: 6), shape: [1, 2, 3])
        let gradX = HostTensor([Float](repeating: -7, count: 6), shape: [1, 2, 3])
        // K = 0: pooling sums no regions, so grad_x is zero.
        let (gradR, assign) = (HostTensor(shape: [1, 2, 0], dtype: f32, data: nil), HostTensor(shape: [1, 0, 3], dtype: f32, data: nil))
        XCTAssertEqual(vt_region_pool_backward(gradR.dl, x.dl, assign.dl, gradX.dl, nil, 1, nil), Int32(VT_OK))
        XCTAssertEqual(gradX.values(Float.self), [Float](repeating: 0, count: 6))
        // C = 0: unpooling has no channels to pull gradients from, so grad_assign is zero.
        let assign6 = HostTensor([Float](repeating: 1, count: 6), shape: [1, 2, 3])
        let gradAssign = HostTensor([Float](repeating: -7, count: 6), shape: [1, 2, 3])
        let (gradY, r) = (HostTensor(shape: [1, 0, 3], dtype: f32, data: nil), HostTensor(shape: [1, 0, 2], dtype: f32, data: nil))
        XCTAssertEqual(vt_region_unpool_backward(gradY.dl, r.dl, assign6.dl, nil, gradAssign.dl, nil), Int32(VT_OK))
        XCTAssertEqual(gradAssign.values(Float.self), [Float](repeating: 0, count: 6))
    }

    func testEmptySumsAndErrors() {
        let f32 = Float.dlType
        // S = 0: pooling sums nothing.
        let r = HostTensor([Float](repeating: -7, count: 6), shape: [1, 3, 2])
        let (x0, a0) = (HostTensor(shape: [1, 3, 0], dtype: f32, data: nil), HostTensor(shape: [1, 2, 0], dtype: f32, data: nil))
        XCTAssertEqual(vt_region_pool_forward(x0.dl, a0.dl, r.dl, 1, nil), Int32(VT_OK))
        XCTAssertEqual(r.values(Float.self), [Float](repeating: 0, count: 6))
        var error = vt_error()
        let y = HostTensor([Float](repeating: -7, count: 6), shape: [1, 3, 2])
        XCTAssertEqual(vt_region_unpool_forward(r.dl, nil, y.dl, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_region_unpool_forward: assign is NULL")
        let negative = HostTensor(shape: [1, -3, 2], dtype: f32, data: r.dl.pointee.data)
        XCTAssertEqual(vt_region_pool_forward(negative.dl, r.dl, r.dl, 1, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("x.shape[1]=-3 is negative"), message(error))
        let input = HostTensor([Float](repeating: 1, count: 3), shape: [1, 3, 1])
        let assign = HostTensor(shape: [1, 2, 1], dtype: f32, data: r.dl.pointee.data)
        XCTAssertEqual(vt_region_pool_forward(input.dl, assign.dl, r.dl, 1, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("r overlaps assign"), message(error))
        let huge = HostTensor(shape: [1, 1, 1 << 62], dtype: f32, data: input.dl.pointee.data)
        let hugeAssign = HostTensor(shape: [1, 2, 1 << 62], dtype: f32, data: input.dl.pointee.data)
        let out = HostTensor([Float](repeating: -7, count: 2), shape: [1, 1, 2])
        XCTAssertEqual(vt_region_pool_forward(huge.dl, hugeAssign.dl, out.dl, 1, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(vt_region_pool_forward(input.dl, input.dl, r.dl, 1, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_region_pool_forward: r.shape[2]=2 does not match assign.shape[1]=3 (K)")
    }
}
