import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Region pooling and unpooling against Double loops, their adjoints, and bad input.
final class RegionPoolTests: XCTestCase {
    static let shapes = [(b: 2, c: 3, s: 5, k: 2), (b: 1, c: 8, s: 49, k: 4), (b: 3, c: 1, s: 1, k: 1)]

    func testPoolAndUnpoolEqualReference() {
        var random = SeededRandom(seed: 40)
        for (b, c, s, k) in Self.shapes {
            let x: [Double] = random.uniform(b * c * s)
            let assign: [Double] = random.uniform(b * k * s)
            let r: [Double] = random.uniform(b * c * k)
            for normalize in [Int32(0), 1] {
                var pooled = [Double](repeating: -7, count: b * c * k)
                XCTAssertEqual(vt_region_pool_forward_f64(x, assign, &pooled, Int64(b), Int64(c), Int64(s), Int64(k),
                                                          normalize, nil), Int32(VT_OK))
                let scale = normalize != 0 ? 1 / Double(s) : 1
                assertClose(pooled, GTAReference.pool(x, assign, frames: b, channels: c, positions: s, regions: k,
                                                      scale: scale), Tolerance.of("gemm", .float64), "pool \((b, c, s, k))")
                var pooled32 = [Float](repeating: -7, count: b * c * k)
                XCTAssertEqual(vt_region_pool_forward_f32(x.map(Float.init), assign.map(Float.init), &pooled32, Int64(b),
                                                          Int64(c), Int64(s), Int64(k), normalize, nil), Int32(VT_OK))
                assertClose(pooled32, pooled, Tolerance.of("gemm", .float32), "pool float32")
            }
            var unpooled = [Double](repeating: -7, count: b * c * s)
            XCTAssertEqual(vt_region_unpool_forward_f64(r, assign, &unpooled, Int64(b), Int64(c), Int64(s), Int64(k), nil),
                           Int32(VT_OK))
            assertClose(unpooled, GTAReference.unpool(r, assign, frames: b, channels: c, positions: s, regions: k),
                        Tolerance.of("gemm", .float64), "unpool \((b, c, s, k))")
        }
    }

    /// Both ops are bilinear: each is checked as linear in either input against its backward.
    func testAdjointsInBothInputs() {
        var random = SeededRandom(seed: 41)
        let tolerance = Tolerance.of("adjoint", .float64)
        for (b, c, s, k) in Self.shapes {
            let (bb, cc, ss, kk) = (Int64(b), Int64(c), Int64(s), Int64(k))
            let x: [Double] = random.uniform(b * c * s)
            let assign: [Double] = random.uniform(b * k * s)
            let r: [Double] = random.uniform(b * c * k)
            let gr: [Double] = random.uniform(b * c * k)
            let gy: [Double] = random.uniform(b * c * s)
            var pooled = [Double](repeating: 0, count: b * c * k), unpooled = [Double](repeating: 0, count: b * c * s)
            var gx = x, ga = assign, grr = r, ga2 = assign
            XCTAssertEqual(vt_region_pool_forward_f64(x, assign, &pooled, bb, cc, ss, kk, 1, nil), Int32(VT_OK))
            XCTAssertEqual(vt_region_pool_backward_f64(gr, x, assign, &gx, &ga, bb, cc, ss, kk, 1, nil), Int32(VT_OK))
            let poolValue = dot(pooled, gr)
            XCTAssertEqual(poolValue, dot(x, gx), accuracy: tolerance * max(1, abs(poolValue)), "pool in x")
            XCTAssertEqual(poolValue, dot(assign, ga), accuracy: tolerance * max(1, abs(poolValue)), "pool in assign")
            XCTAssertEqual(vt_region_unpool_forward_f64(r, assign, &unpooled, bb, cc, ss, kk, nil), Int32(VT_OK))
            XCTAssertEqual(vt_region_unpool_backward_f64(gy, r, assign, &grr, &ga2, bb, cc, ss, kk, nil), Int32(VT_OK))
            let unpoolValue = dot(unpooled, gy)
            XCTAssertEqual(unpoolValue, dot(r, grr), accuracy: tolerance * max(1, abs(unpoolValue)), "unpool in r")
            XCTAssertEqual(unpoolValue, dot(assign, ga2), accuracy: tolerance * max(1, abs(unpoolValue)), "unpool in assign")
        }
    }

    /// Empty dims passed as NULL still produce their (zero) gradients.
    func testEmptyDimsZeroTheGradients() {
        var gradX = [Float](repeating: -7, count: 6), gradAssign = [Float](repeating: -7, count: 6)
        let x = [Float](repeating: 1, count: 6)
        // K = 0: pooling sums no regions, so grad_x is zero.
        XCTAssertEqual(vt_region_pool_backward_f32(nil, x, nil, &gradX, nil, 1, 2, 3, 0, 1, nil), Int32(VT_OK))
        XCTAssertEqual(gradX, [Float](repeating: 0, count: 6))
        // C = 0: unpooling has no channels to pull gradients from, so grad_assign is zero.
        XCTAssertEqual(vt_region_unpool_backward_f32(nil, nil, x, nil, &gradAssign, 1, 0, 3, 2, nil), Int32(VT_OK))
        XCTAssertEqual(gradAssign, [Float](repeating: 0, count: 6))
    }

    func testEmptySumsAndErrors() {
        // S = 0: pooling sums nothing.
        var r = [Float](repeating: -7, count: 6)
        XCTAssertEqual(vt_region_pool_forward_f32(nil, nil, &r, 1, 3, 0, 2, 1, nil), Int32(VT_OK))
        XCTAssertEqual(r, [Float](repeating: 0, count: 6))
        var error = vt_error()
        XCTAssertEqual(vt_region_unpool_forward_f32(r, nil, &r, 1, 3, 2, 2, &error), Int32(VT_ERR_NULL_POINTER))
        XCTAssertEqual(message(error), "vt_region_unpool_forward_f32: assign is NULL")
        XCTAssertEqual(vt_region_pool_forward_f32(r, r, &r, 1, -3, 2, 2, 1, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("c=-3"), message(error))
        let input = [Float](repeating: 1, count: 6)
        let overlap = r.withUnsafeMutableBufferPointer { p in
            vt_region_pool_forward_f32(input, UnsafePointer(p.baseAddress), p.baseAddress, 1, 3, 1, 2, 1, &error)
        }
        XCTAssertEqual(overlap, Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("r overlaps assign"), message(error))
        XCTAssertEqual(vt_region_pool_forward_f32(input, input, &r, 1, 1, 1 << 62, 2, 1, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
    }
}
