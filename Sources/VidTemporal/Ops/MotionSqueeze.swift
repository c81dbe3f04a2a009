/// The fused Motion Squeeze core (MSNet): per clip, L2-normalise every pixel's channel vector
/// (sqrt(Σ x² + 1e-6)), correlate frame t with t + 1, ReLU, kernel soft-argmax, and write
/// [u, v, confidence] for frame t; the last frame repeats frame T-2's map (T = 1: zeros).
///
/// Frame pairs run in parallel, one pair per task at a time, so the only volumes held are one
/// pair's (P² H W) per thread, not the clip's; the backward recomputes each pair's volume. Each
/// pair is computed the same way whichever task runs it, so results do not depend on the thread
/// count. (Parallel pairs rather than parallel rows inside a pair: small frames give too little
/// work per pair to split.)
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
        /// Tasks that run pairs, fixed when the shape is made (the scratch is sized for them):
        /// one per thread when every thread gets a pair, each pair's own loops then staying on
        /// its task; otherwise 1, and each pair splits its rows over the threads.
        let tasks: Int

        var plane: Int { height * width }
        var frameCount: Int { channels * plane }
        var count: Int { clips * segments * frameCount }
        var outputCount: Int { clips * segments * 3 * plane }
        var pairs: Int { segments > 1 ? clips * (segments - 1) : 0 }
        var volumeCount: Int { patch * patch * plane }
        /// One pair's correlation: serial inside a task when pairs run in parallel.
        let pair: Correlation.Shape
        var argmax: KernelSoftArgmax.Shape {
            KernelSoftArgmax.Shape(batch: 1, patch: patch, height: height, width: width, sigma: sigma,
                                   temperature: temperature, serial: tasks > 1)
        }
        /// Work per pair, for the decision to split (as the correlation counts it).
        var bytesPerPair: Int { channels * volumeCount * 8 }
    }

    static let epsilon = 1e-6

    static func shape(nt: Int64, c: Int64, h: Int64, w: Int64, numSegments: Int64, patchSize: Int64, sigma: Double,
                      temperature: Double, normalize: Bool, elementSize: Int) throws(VTError) -> Shape {
        let frames = try dimension(nt, "nt")
        let segments = try positive(numSegments, "num_segments")
        guard frames % segments == 0 else {
            throw .shapeMismatch("nt=\(frames) (x.shape[0]) is not a multiple of num_segments=\(segments)")
        }
        let (threads, pairs) = (Threads.count, segments > 1 ? frames / segments * (segments - 1) : 0)
        let tasks = pairs >= threads ? threads : 1
        let pair = try Correlation.shape(b: 1, c: c, h: h, w: w, patchSize: patchSize, dilationPatch: 1,
                                         elementSize: elementSize, tasks: tasks > 1 ? 1 : threads)
        _ = try KernelSoftArgmax.shape(b: 1, p: patchSize, h: h, w: w, sigma: sigma, temperature: temperature,
                                       elementSize: elementSize)
        _ = try elementCount([frames, pair.channels, pair.height, pair.width], elementSize: elementSize, tensor: "x")
        return Shape(clips: frames / segments, segments: segments, channels: pair.channels, height: pair.height,
                     width: pair.width, patch: pair.patch, sigma: sigma, temperature: temperature, normalize: normalize,
                     tasks: tasks, pair: pair)
    }

    /// xn = x / sqrt(Σ_c x² + eps) per pixel (or a copy), and the norms; frames in parallel.
    private static func normalize<T: KernelScalar>(_ x: UnsafePointer<T>, _ xn: UnsafeMutablePointer<T>,
                                                   _ norms: UnsafeMutablePointer<T>, frames: Int, _ shape: Shape) {
        let (c, plane) = (shape.channels, shape.plane)
        let pointers = UnsafeTransfer((x, xn, norms))
        parallelFor(frames, bytesPerItem: shape.frameCount * 3 * MemoryLayout<T>.size) { range in
            let (x, xn, norms) = pointers.value
            for frame in range {
                let (from, to, norm) = (x + frame * c * plane, xn + frame * c * plane, norms + frame * plane)
                for p in 0..<plane { norm[p] = T(epsilon) }
                for ch in 0..<c { for p in 0..<plane { norm[p] += from[ch * plane + p] * from[ch * plane + p] } }
                for p in 0..<plane { norm[p] = shape.normalize ? norm[p].squareRoot() : 1 }
                for ch in 0..<c { for p in 0..<plane { to[ch * plane + p] = from[ch * plane + p] / norm[p] } }
            }
        }
    }

    /// Runs body(task, clip, s) for every pair (frame s and s + 1 of a clip), pairs in parallel;
    /// task < shape.tasks indexes the caller's per-task scratch.
    private static func forEachPair(_ shape: Shape, _ body: @Sendable (Int, Int, Int) -> Void) {
        parallelTasks(shape.pairs, bytesPerItem: shape.bytesPerPair, maxTasks: shape.tasks) { task, range in
            for index in range {
                let (clip, s) = index.quotientAndRemainder(dividingBy: shape.segments - 1)
                body(task, clip, s)
            }
        }
    }

    /// Per-task scratch of the forward: one pair's volume and the correlation's copies.
    private static func forwardTaskCount<T>(_ shape: Shape, of _: T.Type) -> Int {
        shape.volumeCount + Correlation.scratchCount(shape.pair, of: T.self)
    }

    static func forward<T: KernelScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape) throws(VTError) {
        let (t, plane, frameCount) = (shape.segments, shape.plane, shape.frameCount)
        let frames = shape.clips * t, perTask = forwardTaskCount(shape, of: T.self)
        try withScratch(frames * (frameCount + plane) + shape.tasks * perTask, of: T.self) { scratch in
            let (xn, norms, tasks) = (scratch, scratch + frames * frameCount, scratch + frames * (frameCount + plane))
            normalize(x, xn, norms, frames: frames, shape)
            let pointers = UnsafeTransfer((UnsafePointer(xn), out, tasks))
            forEachPair(shape) { task, clip, s in
                let (xn, out, tasks) = pointers.value
                let volume = tasks + task * perTask
                let frame = clip * t + s
                Correlation.forward(xn + frame * frameCount, xn + (frame + 1) * frameCount, volume, shape.pair,
                                    scratch: volume + shape.volumeCount)
                for k in 0..<shape.volumeCount { volume[k] = max(volume[k], 0) }
                let map = out + frame * 3 * plane
                KernelSoftArgmax.forward(UnsafePointer(volume), map, map + 2 * plane, shape.argmax)
            }
            for clip in 0..<shape.clips {
                let last = out + (clip * t + t - 1) * 3 * plane
                if t > 1 { last.update(from: last - 3 * plane, count: 3 * plane) } else { last.update(repeating: 0, count: 3 * plane) }
            }
        }
    }

    static func backward<T: KernelScalar>(_ grad: UnsafePointer<T>, _ x: UnsafePointer<T>,
                                          _ gradX: UnsafeMutablePointer<T>, _ shape: Shape) throws(VTError) {
        let (t, plane, frameCount, c) = (shape.segments, shape.plane, shape.frameCount, shape.channels)
        let frames = shape.clips * t, volumeCount = shape.volumeCount
        // Per task: the pair's volume, its gradient, the pair's map gradient, the correlation's copies.
        let perTask = 2 * volumeCount + 3 * plane + Correlation.scratchCount(shape.pair, of: T.self)
        // The normalised clip's gradient comes in two parts, so that pairs sharing a frame write
        // disjoint memory: as the first frame of its pair (in grad_x, finished in place) and as
        // the second. (A smaller scratch also stays on the heap between calls.)
        try withScratch(frames * (2 * frameCount + plane) + shape.tasks * perTask, of: T.self) { scratch in
            let (xn, norms) = (scratch, scratch + frames * frameCount)
            let asFirst = gradX, asSecond = norms + frames * plane
            let tasks = asSecond + frames * frameCount
            normalize(x, xn, norms, frames: frames, shape)
            for clip in 0..<shape.clips {   // the frames no pair writes
                (asFirst + (clip * t + t - 1) * frameCount).update(repeating: 0, count: frameCount)
                (asSecond + clip * t * frameCount).update(repeating: 0, count: frameCount)
            }
            let pointers = UnsafeTransfer((grad, UnsafePointer(xn), asFirst, asSecond, tasks))
            forEachPair(shape) { task, clip, s in
                let (grad, xn, asFirst, asSecond, tasks) = pointers.value
                let volume = tasks + task * perTask, gradVolume = volume + volumeCount
                let mapGrad = gradVolume + volumeCount, correlationScratch = mapGrad + 3 * plane
                let frame = clip * t + s
                // Frame T-1 repeats frame T-2's map: its gradient joins the last pair's.
                mapGrad.update(from: grad + frame * 3 * plane, count: 3 * plane)
                if s == t - 2 {
                    let repeated = grad + (frame + 1) * 3 * plane
                    for k in 0..<(3 * plane) { mapGrad[k] += repeated[k] }
                }
                let (f1, f2) = (xn + frame * frameCount, xn + (frame + 1) * frameCount)
                Correlation.forward(f1, f2, volume, shape.pair, scratch: correlationScratch)
                for k in 0..<volumeCount { volume[k] = max(volume[k], 0) }
                KernelSoftArgmax.backward(UnsafePointer(mapGrad), UnsafePointer(mapGrad + 2 * plane),
                                          UnsafePointer(volume), gradVolume, shape.argmax)
                for k in 0..<volumeCount where volume[k] <= 0 { gradVolume[k] = 0 }   // ReLU
                Correlation.backward(UnsafePointer(gradVolume), f1, f2, gradF1: asFirst + frame * frameCount,
                                     gradF2: asSecond + (frame + 1) * frameCount, shape.pair, scratch: correlationScratch)
            }
            // xn = x / s, s = sqrt(Σ x² + eps): dx = (dxn - xn (xn · dxn)) / s.
            let finish = UnsafeTransfer((UnsafePointer(xn), UnsafePointer(norms), asFirst, UnsafePointer(asSecond)))
            parallelFor(frames, bytesPerItem: frameCount * 4 * MemoryLayout<T>.size) { range in
                let (xn, norms, asFirst, asSecond) = finish.value
                // g is asFirst's frame, which is grad_x's: xn · g is complete before g is overwritten.
                for frame in range {
                    let (g, n, norm) = (asFirst + frame * frameCount, xn + frame * frameCount, norms + frame * plane)
                    let other = asSecond + frame * frameCount
                    for k in 0..<frameCount { g[k] += other[k] }
                    withUnsafeTemporaryAllocation(of: T.self, capacity: plane) { inner in
                        inner.initialize(repeating: 0)
                        if shape.normalize {
                            for ch in 0..<c { for p in 0..<plane { inner[p] += n[ch * plane + p] * g[ch * plane + p] } }
                        }
                        for ch in 0..<c {
                            for p in 0..<plane { g[ch * plane + p] = (g[ch * plane + p] - n[ch * plane + p] * inner[p]) / norm[p] }
                        }
                    }
                }
            }
        }
    }
}
