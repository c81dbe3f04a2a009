/// The fused Motion Squeeze core (MSNet): per clip, L2-normalise every pixel's channel vector
/// (sqrt(Σ x² + 1e-6)), correlate frame t with t + 1, ReLU, kernel soft-argmax, and write
/// [u, v, confidence] for frame t; the last frame repeats frame T-2's map (T = 1: zeros).
///
/// One frame pair is in flight at a time, so the only volume held is one pair's (P² H W), not
/// the clip's; the backward recomputes each pair's volume.
enum MotionSqueeze {
    struct Shape: Sendable {
        let clips: Int
        let segments: Int
        let channels: Int
        let height: Int
        let width: Int
        let patch: Int
        let sigma: Double
        let temperature: Double
        let normalize: Bool

        var plane: Int { height * width }
        var frameCount: Int { channels * plane }
        var count: Int { clips * segments * frameCount }
        var outputCount: Int { clips * segments * 3 * plane }
        var pair: Correlation.Shape {
            Correlation.Shape(batch: 1, channels: channels, height: height, width: width, patch: patch, dilation: 1)
        }
        var argmax: KernelSoftArgmax.Shape {
            KernelSoftArgmax.Shape(batch: 1, patch: patch, height: height, width: width, sigma: sigma,
                                   temperature: temperature)
        }
    }

    static let epsilon = 1e-6

    static func shape(nt: Int64, c: Int64, h: Int64, w: Int64, numSegments: Int64, patchSize: Int64, sigma: Double,
                      temperature: Double, normalize: Bool, elementSize: Int) throws(VTError) -> Shape {
        let frames = try dimension(nt, "nt")
        let segments = try positive(numSegments, "num_segments")
        guard frames % segments == 0 else {
            throw .shapeMismatch("nt=\(frames) (x.shape[0]) is not a multiple of num_segments=\(segments)")
        }
        let pair = try Correlation.shape(b: 1, c: c, h: h, w: w, patchSize: patchSize, dilationPatch: 1,
                                         elementSize: elementSize)
        _ = try KernelSoftArgmax.shape(b: 1, p: patchSize, h: h, w: w, sigma: sigma, temperature: temperature,
                                       elementSize: elementSize)
        _ = try elementCount([frames, pair.channels, pair.height, pair.width], elementSize: elementSize, tensor: "x")
        return Shape(clips: frames / segments, segments: segments, channels: pair.channels, height: pair.height,
                     width: pair.width, patch: pair.patch, sigma: sigma, temperature: temperature, normalize: normalize)
    }

    /// xn = x / sqrt(Σ_c x² + eps) per pixel (or a copy), and the norms.
    private static func normalize<T: KernelScalar>(_ x: UnsafePointer<T>, _ xn: UnsafeMutablePointer<T>,
                                                   _ norms: UnsafeMutablePointer<T>, frames: Int, _ shape: Shape) {
        let (c, plane) = (shape.channels, shape.plane)
        for frame in 0..<frames {
            let (from, to, norm) = (x + frame * c * plane, xn + frame * c * plane, norms + frame * plane)
            for p in 0..<plane { norm[p] = T(epsilon) }
            for ch in 0..<c { for p in 0..<plane { norm[p] += from[ch * plane + p] * from[ch * plane + p] } }
            for p in 0..<plane { norm[p] = shape.normalize ? norm[p].squareRoot() : 1 }
            for ch in 0..<c { for p in 0..<plane { to[ch * plane + p] = from[ch * plane + p] / norm[p] } }
        }
    }

    /// Scratch: the normalised clip, its norms, one pair's volume (and its gradient).
    static func scratchCount(_ shape: Shape) -> Int {
        shape.clips * shape.segments * (shape.frameCount + shape.plane) + 2 * shape.patch * shape.patch * shape.plane
            + Correlation.scratchCount(shape.pair)
    }

    static func forward<T: KernelScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape) throws(VTError) {
        let (t, plane, frameCount) = (shape.segments, shape.plane, shape.frameCount)
        let volumeCount = shape.patch * shape.patch * plane
        try withScratch(scratchCount(shape), of: T.self) { scratch throws(VTError) in
            let frames = shape.clips * t
            let (xn, norms, volume) = (scratch, scratch + frames * frameCount, scratch + frames * (frameCount + plane))
            let correlationScratch = volume + 2 * volumeCount
            normalize(x, xn, norms, frames: frames, shape)
            for clip in 0..<shape.clips {
                let base = clip * t
                guard t > 1 else {
                    (out + base * 3 * plane).update(repeating: 0, count: 3 * plane)
                    continue
                }
                for s in 0..<(t - 1) {
                    try Correlation.forward(UnsafePointer(xn + (base + s) * frameCount),
                                            UnsafePointer(xn + (base + s + 1) * frameCount), volume, shape.pair,
                                            scratch: correlationScratch)
                    for k in 0..<volumeCount { volume[k] = max(volume[k], 0) }
                    let map = out + (base + s) * 3 * plane
                    KernelSoftArgmax.forward(UnsafePointer(volume), map, map + 2 * plane, shape.argmax)
                }
                (out + (base + t - 1) * 3 * plane).update(from: out + (base + t - 2) * 3 * plane, count: 3 * plane)
            }
        }
    }

    static func backward<T: KernelScalar>(_ grad: UnsafePointer<T>, _ x: UnsafePointer<T>,
                                          _ gradX: UnsafeMutablePointer<T>, _ shape: Shape) throws(VTError) {
        let (t, plane, frameCount, c) = (shape.segments, shape.plane, shape.frameCount, shape.channels)
        let volumeCount = shape.patch * shape.patch * plane
        let frames = shape.clips * t
        // The normalised clip's gradient, accumulated pair by pair, then through the norms.
        try withScratch(scratchCount(shape) + frames * frameCount + 2 * frameCount + 3 * plane, of: T.self) {
            scratch throws(VTError) in
            let (xn, norms) = (scratch, scratch + frames * frameCount)
            let volume = norms + frames * plane, gradVolume = volume + volumeCount
            let correlationScratch = gradVolume + volumeCount
            let gradXn = correlationScratch + Correlation.scratchCount(shape.pair), pairGrads = gradXn + frames * frameCount
            let mapGrad = pairGrads + 2 * frameCount
            normalize(x, xn, norms, frames: frames, shape)
            gradXn.update(repeating: 0, count: frames * frameCount)
            for clip in 0..<shape.clips where t > 1 {
                let base = clip * t
                for s in 0..<(t - 1) {
                    // Frame T-1 repeats frame T-2's map: its gradient joins the last pair's.
                    let own = grad + (base + s) * 3 * plane
                    mapGrad.update(from: own, count: 3 * plane)
                    if s == t - 2 {
                        let repeated = grad + (base + t - 1) * 3 * plane
                        for k in 0..<(3 * plane) { mapGrad[k] += repeated[k] }
                    }
                    let (f1, f2) = (UnsafePointer(xn + (base + s) * frameCount), UnsafePointer(xn + (base + s + 1) * frameCount))
                    try Correlation.forward(f1, f2, volume, shape.pair, scratch: correlationScratch)
                    for k in 0..<volumeCount { volume[k] = max(volume[k], 0) }
                    KernelSoftArgmax.backward(UnsafePointer(mapGrad), UnsafePointer(mapGrad + 2 * plane),
                                              UnsafePointer(volume), gradVolume, shape.argmax)
                    for k in 0..<volumeCount where volume[k] <= 0 { gradVolume[k] = 0 }   // ReLU
                    try Correlation.backward(UnsafePointer(gradVolume), f1, f2, gradF1: pairGrads,
                                             gradF2: pairGrads + frameCount, shape.pair, scratch: correlationScratch)
                    let (g1, g2) = (gradXn + (base + s) * frameCount, gradXn + (base + s + 1) * frameCount)
                    for k in 0..<frameCount {
                        g1[k] += pairGrads[k]
                        g2[k] += pairGrads[frameCount + k]
                    }
                }
            }
            // xn = x / s, s = sqrt(Σ x² + eps): dx = (dxn - xn (xn · dxn)) / s.
            for frame in 0..<frames {
                let (g, n, out, norm) = (gradXn + frame * frameCount, xn + frame * frameCount, gradX + frame * frameCount,
                                         norms + frame * plane)
                for p in 0..<plane {
                    var inner: T = 0
                    if shape.normalize { for ch in 0..<c { inner += n[ch * plane + p] * g[ch * plane + p] } }
                    for ch in 0..<c { out[ch * plane + p] = (g[ch * plane + p] - n[ch * plane + p] * inner) / norm[p] }
                }
            }
        }
    }
}
