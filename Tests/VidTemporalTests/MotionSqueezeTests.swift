import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// The fused Motion Squeeze op recovers a known motion, repeats the last map, and its gradient
/// matches central differences.
final class MotionSqueezeTests: XCTestCase {
    /// The fused forward of x (nt, c, h, w), normalized.
    private func forward<T: ShiftScalar>(_ x: [T], _ dims: [Int], segments: Int, patch: Int64 = 15, sigma: Double = 5,
                                         temperature: Double = 100) -> [T] {
        let (input, out) = (HostTensor(x, shape: dims), HostTensor([T](repeating: -7, count: dims[0] * 3 * dims[2] * dims[3]),
                                                                     shape: [dims[0], 3, dims[2], dims[3]]))
        var error = vt_error()
        XCTAssertEqual(vt_motion_squeeze_forward(input.dl, out.dl, Int64(segments), patch, sigma, temperature, 1, &error),
                       Int32(VT_OK), message(error))
        return out.values()
    }

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
        let out = forward(clip, [t, c, h, w], segments: t)
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
        let single = forward(Array(clip.prefix(c * plane)), [1, c, h, w], segments: 1)
        XCTAssertEqual(single, [Float](repeating: 0, count: 3 * plane))   // T = 1: zeros
    }

    func testGradientMatchesFiniteDifferences() {
        var random = SeededRandom(seed: 121)
        let (nt, t, c, h, w, p) = (6, 3, 3, 3, 4, 3)
        let x: [Double] = random.uniform(nt * c * h * w).map { $0 + 1.5 }   // positive: correlations > 0
        let g: [Double] = random.uniform(nt * 3 * h * w)
        func loss(_ v: [Double]) -> Double {
            dot(forward(v, [nt, c, h, w], segments: t, patch: Int64(p), sigma: 1, temperature: 3), g)
        }
        let (tg, tx) = (HostTensor(g, shape: [nt, 3, h, w]), HostTensor(x, shape: [nt, c, h, w]))
        let tgrad = HostTensor([Double](repeating: -7, count: x.count), shape: [nt, c, h, w])
        XCTAssertEqual(vt_motion_squeeze_backward(tg.dl, tx.dl, tgrad.dl, Int64(t), Int64(p), 1.0, 3.0, 1, nil), Int32(VT_OK))
        let grad = tgrad.values(Double.self)
        for i in stride(from: 0, to: x.count, by: 5) {
            let numeric = FiniteDifference.central(loss, at: x, index: i)
            XCTAssertEqual(grad[i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "x[\(i)]")
        }
    }

    func testErrors() {
        let x = HostTensor([Float](repeating: 1, count: 12), shape: [3, 1, 2, 2])
        let out = HostTensor([Float](repeating: -7, count: 36), shape: [3, 3, 2, 2])
        var error = vt_error()
        XCTAssertEqual(vt_motion_squeeze_forward(x.dl, out.dl, 2, 3, 5, 100, 1, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertTrue(message(error).contains("x.shape[0]=3 (N*T) is not a multiple of num_segments=2"), message(error))
        XCTAssertEqual(vt_motion_squeeze_forward(x.dl, out.dl, 3, 4, 5, 100, 1, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        let wrong = HostTensor([Float](repeating: -7, count: 24), shape: [3, 2, 2, 2])
        XCTAssertEqual(vt_motion_squeeze_forward(x.dl, wrong.dl, 3, 3, 5, 100, 1, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_motion_squeeze_forward: out.shape[1]=2 must be 3 (N*T, 3, H, W)")
        XCTAssertEqual(out.values(Float.self), [Float](repeating: -7, count: 36))
    }
}
