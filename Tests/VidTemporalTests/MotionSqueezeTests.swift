import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// The fused Motion Squeeze op recovers a known motion, repeats the last map, and its gradient
/// matches central differences.
final class MotionSqueezeTests: XCTestCase {
    /// A pattern moving by (+2, -1) cells per frame: u = 2/7, v = -1/7 for P = 15 at every pixel
    /// whose match stays inside the image.
    func testRecoversAKnownMotion() {
        let (t, c, h, w) = (3, 8, 12, 12)
        var random = SeededRandom(seed: 120)
        let first: [Float] = random.uniform(c * h * w)
        var clip = [Float](repeating: 0, count: t * c * h * w)
        for s in 0..<t {
            for ch in 0..<c {
                for y in 0..<h {
                    for x in 0..<w {
                        // frame s at (y, x) shows frame 0 at (y + s, x - 2s), wrapping around
                        let (y0, x0) = (((y + s) % h + h) % h, ((x - 2 * s) % w + w) % w)
                        clip[((s * c + ch) * h + y) * w + x] = first[(ch * h + y0) * w + x0]
                    }
                }
            }
        }
        var out = [Float](repeating: -7, count: t * 3 * h * w)
        var error = vt_error()
        XCTAssertEqual(vt_motion_squeeze_forward_f32(clip, &out, Int64(t), Int64(c), Int64(h), Int64(w), Int64(t), 15, 5,
                                                     100, 1, &error), Int32(VT_OK), message(error))
        let plane = h * w
        for s in 0..<t {
            for y in 1..<h {
                for x in 0..<(w - 2) {
                    let at = s * 3 * plane + y * w + x
                    XCTAssertEqual(out[at], 2.0 / 7, accuracy: 1e-4, "u frame \(s) (\(y), \(x))")
                    XCTAssertEqual(out[at + plane], -1.0 / 7, accuracy: 1e-4, "v frame \(s) (\(y), \(x))")
                }
            }
        }
        // The last frame repeats the one before.
        XCTAssertEqual(Array(out[(2 * 3 * plane)...]), Array(out[(3 * plane)..<(2 * 3 * plane)]))
        var single = [Float](repeating: -7, count: 3 * plane)
        XCTAssertEqual(vt_motion_squeeze_forward_f32(Array(clip.prefix(c * plane)), &single, 1, Int64(c), Int64(h),
                                                     Int64(w), 1, 15, 5, 100, 1, nil), Int32(VT_OK))
        XCTAssertEqual(single, [Float](repeating: 0, count: 3 * plane))   // T = 1: zeros
    }

    func testGradientMatchesFiniteDifferences() {
        var random = SeededRandom(seed: 121)
        let (nt, t, c, h, w, p) = (6, 3, 3, 3, 4, 3)
        let x: [Double] = random.uniform(nt * c * h * w).map { $0 + 1.5 }   // positive: correlations > 0
        let g: [Double] = random.uniform(nt * 3 * h * w)
        func loss(_ v: [Double]) -> Double {
            var out = [Double](repeating: 0, count: nt * 3 * h * w)
            XCTAssertEqual(vt_motion_squeeze_forward_f64(v, &out, Int64(nt), Int64(c), Int64(h), Int64(w), Int64(t),
                                                         Int64(p), 1.0, 3.0, 1, nil), Int32(VT_OK))
            return dot(out, g)
        }
        var grad = [Double](repeating: -7, count: x.count)
        XCTAssertEqual(vt_motion_squeeze_backward_f64(g, x, &grad, Int64(nt), Int64(c), Int64(h), Int64(w), Int64(t),
                                                      Int64(p), 1.0, 3.0, 1, nil), Int32(VT_OK))
        for i in stride(from: 0, to: x.count, by: 5) {
            let numeric = FiniteDifference.central(loss, at: x, index: i)
            XCTAssertEqual(grad[i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "x[\(i)]")
        }
    }

    func testErrors() {
        let x = [Float](repeating: 1, count: 64)
        var out = [Float](repeating: -7, count: 64)
        var error = vt_error()
        XCTAssertEqual(vt_motion_squeeze_forward_f32(x, &out, 3, 1, 2, 2, 2, 3, 5, 100, 1, &error),
                       Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("nt=3 (x.shape[0]) is not a multiple of num_segments=2"), message(error))
        XCTAssertEqual(vt_motion_squeeze_forward_f32(x, &out, 2, 1, 2, 2, 2, 4, 5, 100, 1, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertEqual(out, [Float](repeating: -7, count: 64))
    }
}
