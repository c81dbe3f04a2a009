import CVidTemporal
import VidTemporalTestSupport
import XCTest

/// Kernel soft-argmax: one-hot peaks give their exact (scaled) displacement, ties take the first
/// index, the gradient matches central differences away from ties, and bad input.
final class KernelSoftArgmaxTests: XCTestCase {
    func run(_ corr: [Double], b: Int, p: Int, h: Int, w: Int, sigma: Double = 5, temperature: Double = 100)
        -> ([Double], [Double]) {
        let c = HostTensor(corr, shape: [b, p, p, h, w])
        let displacement = HostTensor([Double](repeating: -7, count: b * 2 * h * w), shape: [b, 2, h, w])
        let confidence = HostTensor([Double](repeating: -7, count: b * h * w), shape: [b, 1, h, w])
        var error = vt_error()
        XCTAssertEqual(vt_kernel_soft_argmax_forward(c.dl, displacement.dl, confidence.dl, sigma, temperature, &error),
                       Int32(VT_OK), message(error))
        return (displacement.values(), confidence.values())
    }

    /// A single strong peak at (ky, kx) = (2, 6) of a 7 x 7 window: u = (6-3)/3 = 1, v = (2-3)/3.
    func testOneHotPeakGivesItsDisplacement() {
        var corr = [Double](repeating: 0, count: 49)
        corr[2 * 7 + 6] = 1
        let (displacement, confidence) = run(corr, b: 1, p: 7, h: 1, w: 1)
        XCTAssertEqual(displacement[0], 1, accuracy: 1e-12)
        XCTAssertEqual(displacement[1], -1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(confidence[0], 1)
        XCTAssertEqual(run([5], b: 1, p: 1, h: 1, w: 1).0, [0, 0])   // P = 1
    }

    /// Two equal maxima: k* is the first, so the Gaussian centres there; the softmax then still
    /// weighs both peaks but the displacement leans to the first.
    func testTiesTakeTheFirstIndex() {
        var corr = [Double](repeating: 0, count: 9)
        corr[0] = 1   // (0, 0)
        corr[8] = 1   // (2, 2)
        let (displacement, _) = run(corr, b: 1, p: 3, h: 1, w: 1, sigma: 0.5, temperature: 50)
        XCTAssertLessThan(displacement[0], -0.99)
        XCTAssertLessThan(displacement[1], -0.99)
    }

    func testGradientMatchesFiniteDifferences() {
        var random = SeededRandom(seed: 110)
        let (b, p, h, w) = (2, 5, 2, 3)
        let count = b * p * p * h * w
        var corr: [Double] = random.uniform(count)
        for i in corr.indices { corr[i] *= 0.05 }   // moderate logits, clear maxima
        let gd: [Double] = random.uniform(b * 2 * h * w), gc: [Double] = random.uniform(b * h * w)
        func loss(_ c: [Double]) -> Double {
            let (d, conf) = run(c, b: b, p: p, h: h, w: w, sigma: 1.5, temperature: 20)
            return dot(d, gd) + dot(conf, gc)
        }
        let (tgd, tgc) = (HostTensor(gd, shape: [b, 2, h, w]), HostTensor(gc, shape: [b, 1, h, w]))
        let (tc, tgrad) = (HostTensor(corr, shape: [b, p, p, h, w]), HostTensor([Double](repeating: -7, count: count),
                                                                             shape: [b, p, p, h, w]))
        XCTAssertEqual(vt_kernel_soft_argmax_backward(tgd.dl, tgc.dl, tc.dl, tgrad.dl, 1.5, 20, nil), Int32(VT_OK))
        let grad = tgrad.values(Double.self)
        for i in stride(from: 0, to: count, by: 3) {
            let numeric = FiniteDifference.central(loss, at: corr, index: i)
            XCTAssertEqual(grad[i], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "corr[\(i)]")
        }
    }

    func testErrors() {
        let out = HostTensor([Float](repeating: -7, count: 2), shape: [1, 2, 1, 1])
        let conf = HostTensor([Float](repeating: -7, count: 1), shape: [1, 1, 1, 1])
        var error = vt_error()
        let even = HostTensor([Float](repeating: 0, count: 16), shape: [1, 4, 4, 1, 1])
        XCTAssertEqual(vt_kernel_soft_argmax_forward(even.dl, out.dl, conf.dl, 5, 100, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("corr.shape[1]=4 (P) must be odd"), message(error))
        let corr = HostTensor([Float](repeating: 0, count: 9), shape: [1, 3, 3, 1, 1])
        XCTAssertEqual(vt_kernel_soft_argmax_forward(corr.dl, out.dl, conf.dl, 0, 100, &error), Int32(VT_ERR_INVALID_ARGUMENT))
        XCTAssertTrue(message(error).contains("sigma=0.0"), message(error))
        XCTAssertEqual(vt_kernel_soft_argmax_forward(corr.dl, out.dl, conf.dl, 5, .infinity, &error),
                       Int32(VT_ERR_INVALID_ARGUMENT))
        let square = HostTensor([Float](repeating: 0, count: 15), shape: [1, 3, 5, 1, 1])
        XCTAssertEqual(vt_kernel_soft_argmax_forward(square.dl, out.dl, conf.dl, 5, 100, &error), Int32(VT_ERR_SHAPE_MISMATCH))
        XCTAssertEqual(message(error), "vt_kernel_soft_argmax_forward: corr.shape[2]=5 does not match corr.shape[1]=3 (P)")
        XCTAssertEqual(out.values(Float.self), [-7, -7])
        XCTAssertEqual(conf.values(Float.self), [-7])
    }
}
