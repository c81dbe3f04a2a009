#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kernel soft-argmax of a local correlation volume (MSNet): per pixel, over the P x P scores c,
///
///     k* = argmax c (the first on ties),  g_k = exp(-((kx - kx*)² + (ky - ky*)²) / (2σ²)),
///     p = softmax(temperature * g * c),  u = Σ p_k (kx - r) / r,  v = Σ p_k (ky - r) / r,
///     confidence = max c,
///
/// with r = (P-1)/2 (u = v = 0 for P = 1), kx the column (horizontal) and ky the row index of k.
/// g and k* are constants for the gradient; the confidence's gradient goes to k*. The
/// displacements are in [-1, 1], whatever the dilation of the volume. float32 rows at least 8
/// pixels wide run 8 neighbouring pixels at once, one per SIMD lane (each score plane is
/// contiguous along x); a block holding a NaN or infinite score takes the per-pixel path.
enum KernelSoftArgmax {
    struct Shape: Sendable {
        let batch: Int
        let patch: Int
        let height: Int
        let width: Int
        let sigma: Double
        let temperature: Double
        /// Tasks the rows are split over at most, fixed when the shape is made (the per-task
        /// scratch is sized for it); 1 for callers that run pairs in parallel themselves.
        var tasks = 1

        var plane: Int { height * width }
        var volumeCount: Int { batch * patch * patch * plane }
        var mapCount: Int { batch * plane }
    }

    /// The layout of a call on a (B, P, P, H, W) volume (already checked against the op table),
    /// and the op's own rules: P odd, sigma positive and finite, temperature finite.
    static func shape(b: Int, p: Int, h: Int, w: Int, sigma: Double, temperature: Double) throws(VTError) -> Shape {
        guard p % 2 == 1 else { throw .invalidArgument("corr.shape[1]=\(p) (P) must be odd", argument: "corr") }
        guard sigma > 0, sigma.isFinite else { throw .invalidArgument("sigma=\(sigma) must be positive and finite", argument: "sigma") }
        guard temperature.isFinite else { throw .invalidArgument("temperature=\(temperature) must be finite", argument: "temperature") }
        let (rows, overflow) = b.multipliedReportingOverflow(by: h)
        return Shape(batch: b, patch: p, height: h, width: w, sigma: sigma, temperature: temperature,
                     tasks: max(1, min(Threads.count, overflow ? Threads.count : rows)))
    }

    /// The scratch of a call, carved from one allocation: the Gaussian tables (2P - 1 entries in
    /// Double and Float), then per task a pixel's P² probabilities and logits and a lane block's
    /// P² + 2P vectors. Every part starts on a 64-byte boundary.
    struct Scratch<T> {
        let gaussian: UnsafeMutablePointer<Double>
        let gaussian32: UnsafeMutablePointer<Float>
        private let tasks: UnsafeMutableRawPointer
        private let patch: Int

        private static func round(_ bytes: Int) -> Int { (bytes + 63) / 64 * 64 }
        private static func tableBytes(_ patch: Int) -> Int { round((2 * patch - 1) * 8) + round((2 * patch - 1) * 4) }
        private static func taskBytes(_ patch: Int) -> Int {
            let count = patch * patch
            return round((count + 2 * patch) * MemoryLayout<Lanes>.stride) + round(count * 8)
                + round(count * MemoryLayout<T>.stride)
        }

        /// Bytes for a shape: a bound on the parts, with room to align them.
        static func bytes(_ shape: Shape, _ what: StaticString = "the soft-argmax scratch for corr's P",
                          argument: String = "corr") throws(VTError) -> Int {
            let p = shape.patch
            // (2P + 1 <= 3P and P + 2 <= 3P, formed without overflow.)
            return try checkedCount([[3, p, 12, 1, 1, 1], [shape.tasks, 3, p, 3, p, 48 + MemoryLayout<T>.stride],
                                     [64 * 6, 1, 1, 1, 1, 1]], what, argument: argument)
        }

        init(_ memory: UnsafeMutableRawPointer, _ shape: Shape) {
            let aligned = memory + (64 - Int(bitPattern: memory) % 64) % 64
            patch = shape.patch
            gaussian = aligned.bindMemory(to: Double.self, capacity: 2 * patch - 1)
            gaussian32 = (aligned + Self.round((2 * patch - 1) * 8)).bindMemory(to: Float.self, capacity: 2 * patch - 1)
            tasks = aligned + Self.tableBytes(patch)
            // exp(-d² / (2σ²)) for d = -(P-1) ... P-1, at index d + P - 1: the Gaussian is separable,
            // so a pixel's P² weights are products of two table entries instead of P² exps.
            for index in 0..<(2 * patch - 1) {
                let scaled = Double(index - (patch - 1)) / shape.sigma   // no sigma² underflow
                gaussian[index] = exp(-0.5 * scaled * scaled)
                gaussian32[index] = Float(gaussian[index])
            }
        }

        /// Task `task`'s lane vectors, probabilities and logits.
        func task(_ task: Int) -> (lanes: UnsafeMutablePointer<Lanes>, p: UnsafeMutableBufferPointer<Double>,
                                   logits: UnsafeMutableBufferPointer<T>) {
            let count = patch * patch
            let base = tasks + task * Self.taskBytes(patch)
            let laneBytes = Self.round((count + 2 * patch) * MemoryLayout<Lanes>.stride)
            let lanes = base.bindMemory(to: Lanes.self, capacity: count + 2 * patch)
            let p = (base + laneBytes).bindMemory(to: Double.self, capacity: count)
            let logits = (base + laneBytes + Self.round(count * 8)).bindMemory(to: T.self, capacity: count)
            return (lanes, UnsafeMutableBufferPointer(start: p, count: count),
                    UnsafeMutableBufferPointer(start: logits, count: count))
        }
    }

    /// Runs body with the scratch of a call, from a checked allocation.
    static func withScratch<T, R>(_ shape: Shape, _: T.Type, _ body: (Scratch<T>) -> R) throws(VTError) -> R {
        try VidTemporal.withScratch(try Scratch<T>.bytes(shape), of: UInt8.self) { memory in
            body(Scratch(UnsafeMutableRawPointer(memory), shape))
        }
    }

    /// One pixel's softmax: fills p (P² probabilities) and returns (u, v, confidence, k*). Float
    /// volumes take the vectorised exp through `logits`, a P² Float buffer.
    private static func pixel<T: KernelScalar>(_ scores: UnsafePointer<T>, stride: Int, _ shape: Shape,
                                               _ gaussian: UnsafePointer<Double>, _ p: UnsafeMutableBufferPointer<Double>,
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

    /// Runs body(task, b, y) for every row of pixels, rows in parallel (task < shape.tasks).
    private static func forEachRow(_ shape: Shape, _ body: @Sendable (Int, Int, Int) -> Void) {
        let perRow = shape.width * shape.patch * shape.patch * 64
        parallelTasks(shape.batch * shape.height, bytesPerItem: perRow, maxTasks: shape.tasks) { task, rows in
            for row in rows {
                let (b, y) = row.quotientAndRemainder(dividingBy: shape.height)
                body(task, b, y)
            }
        }
    }

    typealias Lanes = SIMD8<Float>

    /// float32 rows of 8 or more pixels, with k* representable in the lanes' Int32.
    private static func usesLanes<T>(_ shape: Shape, _: T.Type) -> Bool {
        T.self == Float.self && shape.width >= 8 && shape.patch * shape.patch <= Int(Int32.max)
    }

    /// The softmax of 8 neighbouring pixels, one per lane (scores[k * plane + lane]): fills e
    /// (P² vectors) with exp(z - max z) and returns Σ e, u, v, the confidence and k*; nil when a
    /// lane holds a NaN or infinite score or logit.
    @inline(__always)
    private static func block(_ scores: UnsafePointer<Float>, plane: Int, _ shape: Shape, _ gaussian: UnsafePointer<Float>,
                              _ e: UnsafeMutablePointer<Lanes>, _ tables: UnsafeMutablePointer<Lanes>)
        -> Block? {
        let (size, r) = (shape.patch, (shape.patch - 1) / 2)
        let count = size * size
        func scoresAt(_ k: Int) -> Lanes { UnsafeRawPointer(scores + k * plane).loadUnaligned(as: Lanes.self) }
        var (top, best) = (scoresAt(0), SIMD8<Int32>())
        var poison = top * 0   // NaN exactly where a score is NaN or infinite
        for k in 1..<count {
            let value = scoresAt(k)
            poison += value * 0
            let better = value .> top
            top.replace(with: value, where: better)
            best.replace(with: Int32(k), where: better)
        }
        // Row (y) and column (x) Gaussian factors of every lane, as vectors over the lanes.
        let (rows, columns) = (tables, tables + size)
        for index in 0..<size {
            rows[index] = Lanes(); columns[index] = Lanes()
        }
        for lane in 0..<8 {
            let (bestY, bestX) = Int(best[lane]).quotientAndRemainder(dividingBy: size)
            for index in 0..<size {
                rows[index][lane] = gaussian[index - bestY + size - 1]
                columns[index][lane] = gaussian[index - bestX + size - 1]
            }
        }
        let temperature = Lanes(repeating: Float(shape.temperature))
        var largest = Lanes(repeating: -.infinity)
        for ky in 0..<size {
            let row = temperature * rows[ky]
            for kx in 0..<size {
                let k = ky * size + kx
                let z = row * columns[kx] * scoresAt(k)
                e[k] = z
                largest = pointwiseMax(largest, z)
                poison += z * 0
            }
        }
        guard !(poison.sum().isNaN) else { return nil }
        var (sum, su, sv) = (Lanes(), Lanes(), Lanes())
        for ky in 0..<size {
            for kx in 0..<size {
                let k = ky * size + kx
                let value = expVector(e[k] - largest)
                e[k] = value
                sum += value
                guard r > 0 else { continue }
                su += value * Float(kx - r) / Float(r)
                sv += value * Float(ky - r) / Float(r)
            }
        }
        return (sum, su / sum, sv / sum, top, best)
    }

    typealias Block = (sum: Lanes, u: Lanes, v: Lanes, confidence: Lanes, best: SIMD8<Int32>)

    /// Runs body(pixel, block, e, tables) for the 8-pixel blocks of row y of volume b (float32)
    /// whose scores are all finite, with `block`'s e and Gaussian tables; the pixels of the
    /// other blocks go to `pixels`, one at a time.
    @inline(__always)
    private static func forEachBlock<T>(_ corr: UnsafePointer<T>, b: Int, y: Int, _ shape: Shape,
                                        _ gaussian: UnsafePointer<Float>, lanes buffer: UnsafeMutablePointer<Lanes>,
                                        pixels: (Range<Int>) -> Void,
                                        _ body: (Int, Block, UnsafePointer<Lanes>, UnsafePointer<Lanes>) -> Void) {
        let (plane, w, count) = (shape.plane, shape.width, shape.patch * shape.patch)
        let (e, tables) = (buffer, buffer + count)
        // An overlapping last block computes its pixels again; its values stay, which differ
        // in rounding only if just one of the two blocks took the per-pixel path.
        for x0 in LaneBlocks(width: w, lanes: 8) {
            let pixel = y * w + x0
            let scores = UnsafeRawPointer(corr + b * count * plane + pixel).assumingMemoryBound(to: Float.self)
            guard let result = block(scores, plane: plane, shape, gaussian, e, tables) else {
                pixels(x0..<(x0 + 8))
                continue
            }
            body(pixel, result, e, tables)
        }
    }

    /// displacement (B, 2, H, W) = [u, v]; confidence (B, 1, H, W).
    static func forward<T: KernelScalar>(_ corr: UnsafePointer<T>, _ displacement: UnsafeMutablePointer<T>,
                                         _ confidence: UnsafeMutablePointer<T>, _ shape: Shape) throws(VTError) {
        try withScratch(shape, T.self) { scratch in forward(corr, displacement, confidence, shape, scratch: scratch) }
    }

    /// The forward with the caller's scratch (for callers that must not fail half-way).
    static func forward<T: KernelScalar>(_ corr: UnsafePointer<T>, _ displacement: UnsafeMutablePointer<T>,
                                         _ confidence: UnsafeMutablePointer<T>, _ shape: Shape, scratch: Scratch<T>) {
        let pointers = UnsafeTransfer((corr, displacement, confidence, scratch))
        let (plane, w, count) = (shape.plane, shape.width, shape.patch * shape.patch)
        let lanes = usesLanes(shape, T.self)
        forEachRow(shape) { task, b, y in
            let (corr, displacement, confidence, scratch) = pointers.value
            let buffers = scratch.task(task)
            // One pixel at a time.
            func pixels(_ xs: Range<Int>) {
                for x in xs {
                    let pixel = y * w + x
                    let (u, v, top, _) = Self.pixel(corr + b * count * plane + pixel, stride: plane, shape,
                                                    scratch.gaussian, buffers.p, buffers.logits)
                    displacement[(b * 2) * plane + pixel] = T(u)
                    displacement[(b * 2 + 1) * plane + pixel] = T(v)
                    confidence[b * plane + pixel] = T(top)
                }
            }
            guard lanes else { return pixels(0..<w) }
            forEachBlock(corr, b: b, y: y, shape, scratch.gaussian32, lanes: buffers.lanes, pixels: pixels) {
                pixel, result, _, _ in
                func put(_ value: Lanes, _ target: UnsafeMutablePointer<T>) {
                    UnsafeMutableRawPointer(target).storeBytes(of: value, as: Lanes.self)
                }
                put(result.u, displacement + (b * 2) * plane + pixel)
                put(result.v, displacement + (b * 2 + 1) * plane + pixel)
                put(result.confidence, confidence + b * plane + pixel)
            }
        }
    }

    /// grad_corr from the gradients of the displacement and the confidence (nil = zero).
    static func backward<T: KernelScalar>(_ gradDisplacement: UnsafePointer<T>?, _ gradConfidence: UnsafePointer<T>?,
                                          _ corr: UnsafePointer<T>, _ gradCorr: UnsafeMutablePointer<T>,
                                          _ shape: Shape) throws(VTError) {
        try withScratch(shape, T.self) { scratch in
            backward(gradDisplacement, gradConfidence, corr, gradCorr, shape, scratch: scratch)
        }
    }

    /// The backward with the caller's scratch (for callers that must not fail half-way).
    static func backward<T: KernelScalar>(_ gradDisplacement: UnsafePointer<T>?, _ gradConfidence: UnsafePointer<T>?,
                                          _ corr: UnsafePointer<T>, _ gradCorr: UnsafeMutablePointer<T>,
                                          _ shape: Shape, scratch: Scratch<T>) {
        let pointers = UnsafeTransfer((gradDisplacement, gradConfidence, corr, gradCorr, scratch))
        let (plane, w, size, count, r) = (shape.plane, shape.width, shape.patch, shape.patch * shape.patch,
                                          (shape.patch - 1) / 2)
        let lanes = usesLanes(shape, T.self)
        forEachRow(shape) { task, b, y in
            let (gradDisplacement, gradConfidence, corr, gradCorr, scratch) = pointers.value
            let (buffers, gaussian) = (scratch.task(task), scratch.gaussian)
            // One pixel at a time.
            func pixels(_ xs: Range<Int>) {
                for x in xs {
                    let pixel = y * w + x
                    let scores = corr + b * count * plane + pixel
                    let out = gradCorr + b * count * plane + pixel
                    let (u, v, _, best) = Self.pixel(scores, stride: plane, shape, gaussian, buffers.p,
                                                     buffers.logits)
                    let p = buffers.p
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
            guard lanes else { return pixels(0..<w) }
            forEachBlock(corr, b: b, y: y, shape, scratch.gaussian32, lanes: buffers.lanes, pixels: pixels) {
                pixel, result, e, tables in
                func get(_ source: UnsafePointer<T>?) -> Lanes {
                    source.map { UnsafeRawPointer($0).loadUnaligned(as: Lanes.self) } ?? Lanes()
                }
                let du = get(gradDisplacement.map { $0 + (b * 2) * plane + pixel })
                let dv = get(gradDisplacement.map { $0 + (b * 2 + 1) * plane + pixel })
                // dL/dc_k = temperature g_k p_k ((X_k - u) du + (Y_k - v) dv), p_k = e_k / Σ e.
                let scale = Lanes(repeating: Float(shape.temperature)) / result.sum
                let (rows, columns) = (tables, tables + size)
                let out = UnsafeMutableRawPointer(gradCorr + b * count * plane + pixel)
                for ky in 0..<size {
                    let rowTerm = r > 0 ? (Float(ky - r) / Float(r) - result.v) * dv : Lanes()
                    let rowScale = scale * rows[ky]
                    for kx in 0..<size {
                        let k = ky * size + kx
                        let columnTerm = r > 0 ? (Float(kx - r) / Float(r) - result.u) * du : Lanes()
                        let value = rowScale * columns[kx] * e[k] * (columnTerm + rowTerm)
                        out.storeBytes(of: value, toByteOffset: k * plane * 4, as: Lanes.self)
                    }
                }
                if let gradConfidence {
                    for lane in 0..<8 {
                        let at = Int(result.best[lane]) * plane + pixel + lane
                        gradCorr[b * count * plane + at] += gradConfidence[b * plane + pixel + lane]
                    }
                }
            }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension KernelSoftArgmax {
    static func forward<T: KernelScalar>(_ a: KernelSoftArgmaxForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, p: a.p, h: a.h, w: a.w, sigma: a.sigma, temperature: a.temperature)
        guard shape.mapCount > 0 else { return }
        try forward(a.corr.pointer(T.self), a.displacement.mutablePointer(), a.confidence.mutablePointer(), shape)
    }

    static func backward<T: KernelScalar>(_ a: KernelSoftArgmaxBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, p: a.p, h: a.h, w: a.w, sigma: a.sigma, temperature: a.temperature)
        guard shape.mapCount > 0 else { return }
        try backward(a.gradDisplacement?.pointer(T.self), a.gradConfidence?.pointer(), a.corr.pointer(),
                     a.gradCorr.mutablePointer(), shape)
    }
}
