/// The fused Motion Squeeze core (MSNet): per clip, L2-normalise every pixel's channel vector
/// (sqrt(Σ x² + 1e-6)), correlate frame t with t + 1, ReLU, kernel soft-argmax, and write
/// [u, v, confidence] for frame t; the last frame repeats frame T-2's map (T = 1: zeros).
///
/// Clips run in parallel, each clip's frame pairs in order on one task, so a task holds one
/// pair's volume (P² H W) and two normalised frames, never the clip's volumes or a normalised
/// copy of the clip: each frame is normalised when its pair comes, and the backward recomputes
/// each pair's volume and finishes a frame's gradient as soon as its second pair is done. Each
/// pair is computed the same way whichever task runs it, so results do not depend on the thread
/// count. (Parallel clips rather than parallel rows inside a pair: small frames give too little
/// work per pair to split; with fewer clips than threads, each pair splits its rows instead.)
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
        /// Tasks that run clips, fixed when the shape is made (the scratch is sized for them):
        /// one per thread when every thread gets a clip, each pair's own loops then staying on
        /// its task; otherwise 1, and each pair splits its rows over the threads.
        let tasks: Int

        var plane: Int { height * width }
        var frameCount: Int { channels * plane }
        var count: Int { clips * segments * frameCount }
        var outputCount: Int { clips * segments * 3 * plane }
        var volumeCount: Int { patch * patch * plane }
        /// One pair's correlation: serial inside a task when clips run in parallel.
        let pair: Correlation.Shape
        /// One pair's soft-argmax, split like the correlation.
        var argmax: KernelSoftArgmax.Shape {
            KernelSoftArgmax.Shape(batch: 1, patch: patch, height: height, width: width, sigma: sigma,
                                   temperature: temperature, tasks: pair.tasks)
        }
        /// Scratch elements per task of the forward and the backward (checked when the shape is made).
        let forwardTaskCount: Int
        let backwardTaskCount: Int
        /// Work per clip, for the decision to split (as the correlation counts it).
        var bytesPerClip: Int { max(segments - 1, 1) * channels * volumeCount * 8 }
    }

    static let epsilon = 1e-6

    /// The layout of a call on x (N*T, C, H, W) (already checked against the op table), and the
    /// rules of the correlation and the soft-argmax it runs.
    static func shape(clips: Int, segments: Int, c: Int, h: Int, w: Int, patchSize: Int64, sigma: Double,
                      temperature: Double, normalize: Bool, elementSize: Int) throws(VTError) -> Shape {
        let threads = Threads.count
        let tasks = clips >= threads ? threads : 1
        let what: StaticString = "the scratch for x's shape and patch_size"
        let pair = try Correlation.shape(b: 1, c: c, h: h, w: w, patchSize: patchSize, dilationPatch: 1,
                                         elementSize: elementSize, tasks: tasks > 1 ? 1 : threads, what: what,
                                         argument: "x")
        var argmax = try KernelSoftArgmax.shape(b: 1, p: Int(patchSize), h: h, w: w, sigma: sigma,
                                                temperature: temperature)
        argmax.tasks = pair.tasks
        // Scratch per task, in elements (the layouts are in forward and backward): frames, norms and
        // planes, one or two pair volumes, the correlation's and the soft-argmax's scratch.
        let p = Int(patchSize)
        let correlation = elementSize == 4 ? Correlation.scratchCount(pair, of: Float.self) : 0
        let softArgmax = try KernelSoftArgmax.Scratch<Double>.bytes(argmax, what, argument: "x") / elementSize + 1
        let volume = try checkedCount([[p, p, h, w]], what, argument: "x")
        let forwardFrames = try checkedCount([[2, c, h, w], [2, h, w, 1]], what, argument: "x")
        let backwardFrames = try checkedCount([[4, c, h, w], [6, h, w, 1]], what, argument: "x")
        let forward = try checkedCount([[forwardFrames, 1], [volume, 1], [correlation, 1], [softArgmax, 1]], what,
                                       argument: "x")
        let backward = try checkedCount([[backwardFrames, 1], [volume, 2], [correlation, 1], [softArgmax, 1]], what,
                                        argument: "x")
        _ = try checkedCount([[tasks, backward, elementSize]], what, argument: "x")
        return Shape(clips: clips, segments: segments, channels: c, height: h, width: w, patch: pair.patch, sigma: sigma,
                     temperature: temperature, normalize: normalize, tasks: tasks, pair: pair,
                     forwardTaskCount: forward, backwardTaskCount: backward)
    }

    /// xn = x / sqrt(Σ_c x² + eps) per pixel (or a copy) for one frame, and its norms.
    private static func normalize<T: KernelScalar>(_ x: UnsafePointer<T>, _ xn: UnsafeMutablePointer<T>,
                                                   _ norm: UnsafeMutablePointer<T>, _ shape: Shape) {
        let (c, plane) = (shape.channels, shape.plane)
        for p in 0..<plane { norm[p] = T(epsilon) }
        for ch in 0..<c { for p in 0..<plane { norm[p] += x[ch * plane + p] * x[ch * plane + p] } }
        for p in 0..<plane { norm[p] = shape.normalize ? norm[p].squareRoot() : 1 }
        for ch in 0..<c { for p in 0..<plane { xn[ch * plane + p] = x[ch * plane + p] / norm[p] } }
    }

    /// Runs body(task, clip) for every clip, clips in parallel when shape.tasks > 1; task <
    /// shape.tasks indexes the caller's per-task scratch.
    private static func forEachClip(_ shape: Shape, _ body: @Sendable (Int, Int) -> Void) {
        parallelTasks(shape.clips, bytesPerItem: shape.bytesPerClip, maxTasks: shape.tasks) { task, range in
            for clip in range { body(task, clip) }
        }
    }

    /// One task's scratch: two normalised frames and their norms, then the rest.
    private struct Frames<T> {
        var current, next: UnsafeMutablePointer<T>
        var currentNorm, nextNorm: UnsafeMutablePointer<T>
        let end: UnsafeMutablePointer<T>

        init(_ base: UnsafeMutablePointer<T>, _ shape: Shape) {
            (current, next) = (base, base + shape.frameCount)
            (currentNorm, nextNorm) = (base + 2 * shape.frameCount, base + 2 * shape.frameCount + shape.plane)
            end = base + 2 * (shape.frameCount + shape.plane)
        }

        static func count(_ shape: Shape) -> Int { 2 * (shape.frameCount + shape.plane) }

        /// Frame s + 1 becomes the current one.
        mutating func advance() {
            swap(&current, &next)
            swap(&currentNorm, &nextNorm)
        }
    }

    static func forward<T: KernelScalar>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape) throws(VTError) {
        let (t, plane, frameCount) = (shape.segments, shape.plane, shape.frameCount)
        // Per task: two frames, one pair's volume, the correlation's scratch, the soft-argmax's.
        let perTask = shape.forwardTaskCount
        try withScratch(shape.tasks * perTask, of: T.self) { scratch in
            let pointers = UnsafeTransfer((x, out, scratch))
            forEachClip(shape) { task, clip in
                let (x, out, scratch) = pointers.value
                var frames = Frames(scratch + task * perTask, shape)
                let volume = frames.end, correlationScratch = volume + shape.volumeCount
                let argmaxScratch = KernelSoftArgmax.Scratch<T>(
                    UnsafeMutableRawPointer(correlationScratch + Correlation.scratchCount(shape.pair, of: T.self)),
                    shape.argmax)
                normalize(x + clip * t * frameCount, frames.current, frames.currentNorm, shape)
                for s in 0..<max(t - 1, 0) {
                    let frame = clip * t + s
                    normalize(x + (frame + 1) * frameCount, frames.next, frames.nextNorm, shape)
                    Correlation.forward(UnsafePointer(frames.current), UnsafePointer(frames.next), volume, shape.pair,
                                        scratch: correlationScratch)
                    for k in 0..<shape.volumeCount { volume[k] = max(volume[k], 0) }
                    let map = out + frame * 3 * plane
                    KernelSoftArgmax.forward(UnsafePointer(volume), map, map + 2 * plane, shape.argmax,
                                             scratch: argmaxScratch)
                    frames.advance()
                }
                let last = out + (clip * t + t - 1) * 3 * plane
                if t > 1 { last.update(from: last - 3 * plane, count: 3 * plane) } else { last.update(repeating: 0, count: 3 * plane) }
            }
        }
    }

    /// grad_x for one frame, in place: g (its normalised frame's gradient as the first frame of
    /// a pair) plus `other` (as the second), then back through xn = x / s, s = sqrt(Σ x² + eps):
    /// dx = (dxn - xn (xn · dxn)) / s.
    /// `inner`: a plane of scratch.
    private static func finish<T: KernelScalar>(_ g: UnsafeMutablePointer<T>, plus other: UnsafePointer<T>,
                                                _ xn: UnsafePointer<T>, _ norm: UnsafePointer<T>,
                                                inner: UnsafeMutablePointer<T>, _ shape: Shape) {
        let (c, plane) = (shape.channels, shape.plane)
        for k in 0..<shape.frameCount { g[k] += other[k] }
        inner.update(repeating: 0, count: plane)
        if shape.normalize {
            for ch in 0..<c { for p in 0..<plane { inner[p] += xn[ch * plane + p] * g[ch * plane + p] } }
        }
        for ch in 0..<c {
            for p in 0..<plane { g[ch * plane + p] = (g[ch * plane + p] - xn[ch * plane + p] * inner[p]) / norm[p] }
        }
    }

    static func backward<T: KernelScalar>(_ grad: UnsafePointer<T>, _ x: UnsafePointer<T>,
                                          _ gradX: UnsafeMutablePointer<T>, _ shape: Shape) throws(VTError) {
        let (t, plane, frameCount, volumeCount) = (shape.segments, shape.plane, shape.frameCount, shape.volumeCount)
        // Per task: two frames, the gradients of the current and the next frame as the second of
        // a pair, the pair's volume and its gradient, the pair's map gradient, a plane for
        // `finish`, the correlation's scratch, the soft-argmax's. A frame's gradient as the first
        // of its pair goes straight to grad_x.
        let perTask = shape.backwardTaskCount
        try withScratch(shape.tasks * perTask, of: T.self) { scratch in
            let pointers = UnsafeTransfer((grad, x, gradX, scratch))
            forEachClip(shape) { task, clip in
                let (grad, x, gradX, scratch) = pointers.value
                var frames = Frames(scratch + task * perTask, shape)
                var (carried, carrying) = (frames.end, frames.end + frameCount)
                let volume = carrying + frameCount, gradVolume = volume + volumeCount
                let mapGrad = gradVolume + volumeCount, inner = mapGrad + 3 * plane, correlationScratch = inner + plane
                let argmaxScratch = KernelSoftArgmax.Scratch<T>(
                    UnsafeMutableRawPointer(correlationScratch + Correlation.scratchCount(shape.pair, of: T.self)),
                    shape.argmax)
                normalize(x + clip * t * frameCount, frames.current, frames.currentNorm, shape)
                carried.update(repeating: 0, count: frameCount)   // frame 0 is no pair's second frame
                for s in 0..<max(t - 1, 0) {
                    let frame = clip * t + s
                    normalize(x + (frame + 1) * frameCount, frames.next, frames.nextNorm, shape)
                    // Frame T-1 repeats frame T-2's map: its gradient joins the last pair's.
                    mapGrad.update(from: grad + frame * 3 * plane, count: 3 * plane)
                    if s == t - 2 {
                        let repeated = grad + (frame + 1) * 3 * plane
                        for k in 0..<(3 * plane) { mapGrad[k] += repeated[k] }
                    }
                    let (f1, f2) = (UnsafePointer(frames.current), UnsafePointer(frames.next))
                    Correlation.forward(f1, f2, volume, shape.pair, scratch: correlationScratch)
                    for k in 0..<volumeCount { volume[k] = max(volume[k], 0) }
                    KernelSoftArgmax.backward(UnsafePointer(mapGrad), UnsafePointer(mapGrad + 2 * plane),
                                              UnsafePointer(volume), gradVolume, shape.argmax, scratch: argmaxScratch)
                    for k in 0..<volumeCount where volume[k] <= 0 { gradVolume[k] = 0 }   // ReLU
                    let first = gradX + frame * frameCount
                    Correlation.backward(UnsafePointer(gradVolume), f1, f2, gradF1: first, gradF2: carrying, shape.pair,
                                         scratch: correlationScratch)
                    // Frame s has both its parts now.
                    finish(first, plus: carried, f1, frames.currentNorm, inner: inner, shape)
                    frames.advance()
                    swap(&carried, &carrying)
                }
                // The last frame is no pair's first frame.
                let last = gradX + (clip * t + t - 1) * frameCount
                last.update(repeating: 0, count: frameCount)
                finish(last, plus: carried, frames.current, frames.currentNorm, inner: inner, shape)
            }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension MotionSqueeze {
    private static func shape<T>(_ clips: Int, _ segments: Int, _ c: Int, _ h: Int, _ w: Int, patchSize: Int64,
                                 sigma: Double, temperature: Double, normalize: Bool, _: T.Type) throws(VTError) -> Shape {
        try shape(clips: clips, segments: segments, c: c, h: h, w: w, patchSize: patchSize, sigma: sigma,
                  temperature: temperature, normalize: normalize, elementSize: MemoryLayout<T>.stride)
    }

    static func forward<T: KernelScalar>(_ a: MotionSqueezeForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(a.n, a.t, a.c, a.h, a.w, patchSize: a.patchSize, sigma: a.sigma,
                              temperature: a.temperature, normalize: a.normalize, T.self)
        guard shape.outputCount > 0 else { return }
        try forward(a.x.pointer(T.self), a.out.mutablePointer(), shape)
    }

    static func backward<T: KernelScalar>(_ a: MotionSqueezeBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(a.n, a.t, a.c, a.h, a.w, patchSize: a.patchSize, sigma: a.sigma,
                              temperature: a.temperature, normalize: a.normalize, T.self)
        guard shape.count > 0 else { return }
        try backward(a.grad.pointer(T.self), a.x.pointer(), a.gradX.mutablePointer(), shape)
    }
}
