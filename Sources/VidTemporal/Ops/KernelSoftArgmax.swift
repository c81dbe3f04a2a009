#if canImport(Glibc)
import Glibc
#endif

/// Kernel soft-argmax of a local correlation volume (MSNet): per pixel, over the P x P scores c,
///
///     k* = argmax c (the first on ties),  g_k = exp(-((kx - kx*)² + (ky - ky*)²) / (2σ²)),
///     p = softmax(temperature * g * c),  u = Σ p_k (kx - r) / r,  v = Σ p_k (ky - r) / r,
///     confidence = max c,
///
/// with r = (P-1)/2 (u = v = 0 for P = 1), kx the column (horizontal) and ky the row index of k.
/// g and k* are constants for the gradient; the confidence's gradient goes to k*. The
/// displacements are in [-1, 1], whatever the dilation of the volume.
enum KernelSoftArgmax {
    struct Shape: Sendable {
        let batch: Int
        let patch: Int
        let height: Int
        let width: Int
        let sigma: Double
        let temperature: Double
        /// Pixels one after another on the calling thread: for callers that run pairs in parallel.
        var serial = false

        var plane: Int { height * width }
        var volumeCount: Int { batch * patch * patch * plane }
        var mapCount: Int { batch * plane }
    }

    static func shape(b: Int64, p: Int64, h: Int64, w: Int64, sigma: Double, temperature: Double,
                      elementSize: Int) throws(VTError) -> Shape {
        let shape = Shape(batch: try dimension(b, "b"), patch: try positive(p, "p"), height: try dimension(h, "h"),
                          width: try dimension(w, "w"), sigma: sigma, temperature: temperature)
        guard shape.patch % 2 == 1 else { throw .invalidArgument("p=\(shape.patch) must be odd") }
        guard sigma > 0, sigma.isFinite else { throw .invalidArgument("sigma=\(sigma) must be positive and finite") }
        guard temperature.isFinite else { throw .invalidArgument("temperature=\(temperature) must be finite") }
        _ = try elementCount([shape.batch, shape.patch, shape.patch, shape.height, shape.width],
                             elementSize: elementSize, tensor: "corr")
        _ = try elementCount([shape.batch, 2, shape.height, shape.width], elementSize: elementSize,
                             tensor: "displacement")
        return shape
    }

    /// exp(-d² / (2σ²)) for d = -(P-1) ... P-1, at index d + P - 1: the Gaussian is separable, so a
    /// pixel's P² weights are products of two table entries instead of P² exps.
    static func gaussianTable(_ shape: Shape) -> [Double] {
        (0..<(2 * shape.patch - 1)).map { index in
            let scaled = Double(index - (shape.patch - 1)) / shape.sigma   // no sigma² underflow
            return exp(-0.5 * scaled * scaled)
        }
    }

    /// One pixel's softmax: fills p (P² probabilities) and returns (u, v, confidence, k*). Float
    /// volumes take the vectorised exp through `logits`, a P² Float buffer.
    private static func pixel<T: KernelScalar>(_ scores: UnsafePointer<T>, stride: Int, _ shape: Shape,
                                               _ gaussian: [Double], _ p: UnsafeMutableBufferPointer<Double>,
                                               _ logits: UnsafeMutableBufferPointer<T>) -> (Double, Double, Double, Int) {
        let (size, r) = (shape.patch, (shape.patch - 1) / 2)
        let count = size * size
        var best = 0
        for k in 1..<count where scores[k * stride] > scores[best * stride] { best = k }
        let (bestY, bestX) = best.quotientAndRemainder(dividingBy: size)
        for k in 0..<count {
            let (ky, kx) = k.quotientAndRemainder(dividingBy: size)
            let g = gaussian[ky - bestY + size - 1] * gaussian[kx - bestX + size - 1]
            logits[k] = T(shape.temperature * g * Double(scores[k * stride]))
        }
        // A NaN or infinite score has no finite answer: the pixel becomes NaN (as in attention).
        let top = maximum(UnsafePointer(logits.baseAddress!), count: count)
        guard top.isFinite, scores[best * stride].isFinite else {
            p.update(repeating: .nan)
            return (.nan, .nan, .nan, best)
        }
        let sum = exponentiate(UnsafePointer(logits.baseAddress!), minus: top, into: logits.baseAddress!, count: count)
        var (u, v) = (0.0, 0.0)
        for k in 0..<count {
            p[k] = Double(logits[k]) / sum
            guard r > 0 else { continue }
            let (ky, kx) = k.quotientAndRemainder(dividingBy: size)
            u += p[k] * Double(kx - r) / Double(r)
            v += p[k] * Double(ky - r) / Double(r)
        }
        return (u, v, Double(scores[best * stride]), best)
    }

    /// Runs body(batch, pixel) for every pixel, rows of pixels in parallel.
    private static func forEachPixel(_ shape: Shape, _ body: @Sendable (Int, Int) -> Void) {
        let perRow = shape.width * shape.patch * shape.patch * 64
        parallelTasks(shape.batch * shape.height, bytesPerItem: perRow, maxTasks: shape.serial ? 1 : Threads.count) {
            _, rows in
            for row in rows {
                let (b, y) = row.quotientAndRemainder(dividingBy: shape.height)
                for x in 0..<shape.width { body(b, y * shape.width + x) }
            }
        }
    }

    /// displacement (B, 2, H, W) = [u, v]; confidence (B, 1, H, W).
    static func forward<T: KernelScalar>(_ corr: UnsafePointer<T>, _ displacement: UnsafeMutablePointer<T>,
                                         _ confidence: UnsafeMutablePointer<T>, _ shape: Shape) {
        let pointers = UnsafeTransfer((corr, displacement, confidence))
        let (plane, count, gaussian) = (shape.plane, shape.patch * shape.patch, gaussianTable(shape))
        forEachPixel(shape) { b, pixel in
            let (corr, displacement, confidence) = pointers.value
            withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { p in
              withUnsafeTemporaryAllocation(of: T.self, capacity: count) { logits in
                let (u, v, top, _) = Self.pixel(corr + b * count * plane + pixel, stride: plane, shape, gaussian, p,
                                                logits)
                displacement[(b * 2) * plane + pixel] = T(u)
                displacement[(b * 2 + 1) * plane + pixel] = T(v)
                confidence[b * plane + pixel] = T(top)
              }
            }
        }
    }

    /// grad_corr from the gradients of the displacement and the confidence (nil = zero).
    static func backward<T: KernelScalar>(_ gradDisplacement: UnsafePointer<T>?, _ gradConfidence: UnsafePointer<T>?,
                                          _ corr: UnsafePointer<T>, _ gradCorr: UnsafeMutablePointer<T>,
                                          _ shape: Shape) {
        let pointers = UnsafeTransfer((gradDisplacement, gradConfidence, corr, gradCorr))
        let (plane, size, count, r) = (shape.plane, shape.patch, shape.patch * shape.patch, (shape.patch - 1) / 2)
        let gaussian = gaussianTable(shape)
        forEachPixel(shape) { b, pixel in
            let (gradDisplacement, gradConfidence, corr, gradCorr) = pointers.value
            let scores = corr + b * count * plane + pixel
            let out = gradCorr + b * count * plane + pixel
            withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { p in
              withUnsafeTemporaryAllocation(of: T.self, capacity: count) { logits in
                let (u, v, _, best) = Self.pixel(scores, stride: plane, shape, gaussian, p, logits)
                let du = gradDisplacement.map { Double($0[(b * 2) * plane + pixel]) } ?? 0
                let dv = gradDisplacement.map { Double($0[(b * 2 + 1) * plane + pixel]) } ?? 0
                let (bestY, bestX) = best.quotientAndRemainder(dividingBy: size)
                for k in 0..<count {
                    let (ky, kx) = k.quotientAndRemainder(dividingBy: size)
                    // dL/dz_k = p_k ((X_k - u) du + (Y_k - v) dv), z_k = temperature g_k c_k
                    var dz = 0.0
                    if r > 0 {
                        dz = p[k] * ((Double(kx - r) / Double(r) - u) * du + (Double(ky - r) / Double(r) - v) * dv)
                    }
                    let g = gaussian[ky - bestY + size - 1] * gaussian[kx - bestX + size - 1]
                    out[k * plane] = T(dz * shape.temperature * g)
                }
                if let gradConfidence { out[best * plane] += gradConfidence[b * plane + pixel] }
              }
            }
        }
    }
}
