#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporal interlace (TIN): the first F = C / shift_div channels are split into 2G parts; part q
/// is shifted in time by a learned fractional offset (s_q = +offsets[g] for q < G, -offsets[g]
/// for the reversed parts, g = q mod G), sampled by linear interpolation between the two nearest
/// integer shifts, and scaled by a per-frame weight:
///
///     y[n,t,c] = weights[n,t,g] * ((1-a) x[n,t-k,c] + a x[n,t-k-1,c]),  k = floor(s), a = s - k
///
/// with zeros outside the clip. Channels [F, C) are copied. floor() is a constant for the
/// gradient, so d/ds is the right-sided derivative at integers.
enum TemporalInterlace {
    struct Shape: Sendable {
        let clips: Int
        let segments: Int
        let channels: Int
        /// h * w.
        let plane: Int
        let groups: Int
        /// F: the interlaced channels.
        let interlaced: Int
        let count: Int
        /// A frame is `rows` rows of whole parts: one row of channel planes (row-major), or one
        /// row of C channels per pixel (channels_last).
        let rows: Int

        var frames: Int { clips * segments }
        var parts: Int { 2 * groups }
        var partChannels: Int { interlaced / parts }
        var frameCount: Int { channels * plane }
        var rowCount: Int { frameCount / rows }
        /// The elements of one part in one row.
        var partCount: Int { partChannels * plane / rows }
        /// Where the copied channels [F, C) start in a row.
        var copiedStart: Int { parts * partCount }
    }

    /// One part's shift within one clip.
    struct PartShift<T: KernelScalar>: Sendable {
        /// floor(s), clamped to where every source frame is already outside the clip.
        let k: Int
        /// s - floor(s), in [0, 1] (1 only by rounding, for a tiny negative Float s).
        let a: T
        /// ds / d offsets: +1 for the first G parts, -1 for the reversed ones.
        let sign: T
    }

    /// The layout of a call on x (N*T, C, H, W) with G offset groups (already checked against
    /// the op table), and the op's own rule: F = C / shift_div splits into 2G equal parts.
    static func shape(_ x: Tensor, clips: Int, segments: Int, groups: Int, shiftDiv: Int64) throws(VTError) -> Shape {
        let channels = x.dim(1)
        guard groups >= 1 else {
            throw .invalidArgument("G=0 (offsets.shape[1]): there must be at least one group", argument: "offsets")
        }
        let interlaced = channels / Int(shiftDiv)
        guard interlaced % (2 * groups) == 0 else {
            throw .shapeMismatch("F = c / shift_div = \(channels) / \(shiftDiv) = \(interlaced) interlaced channels "
                + "do not split into 2 * groups = \(2 * groups) equal parts", argument: "x")
        }
        let plane = x.dim(2) * x.dim(3)
        return Shape(clips: clips, segments: segments, channels: channels, plane: plane, groups: groups,
                     interlaced: interlaced, count: x.count, rows: x.layout == .channelsLast ? max(1, plane) : 1)
    }

    /// Rejects NaN and infinite offsets: floor() of them has no meaning.
    static func requireFiniteOffsets<T: KernelScalar>(_ offsets: UnsafePointer<T>, _ shape: Shape) throws(VTError) {
        for i in 0..<(shape.clips * shape.groups) where !offsets[i].isFinite {
            throw .invalidArgument("offsets[\(i / shape.groups), \(i % shape.groups)] = \(offsets[i]) is not finite",
                                   argument: "offsets")
        }
    }

    /// Runs body with the shifts of every (clip, part), clip-major, in scratch memory.
    static func withPartShifts<T: KernelScalar>(_ offsets: UnsafePointer<T>, _ shape: Shape,
                                                _ body: (UnsafePointer<PartShift<T>>) -> Void) throws(VTError) {
        // Past ±(T+1) both source frames are outside the clip for every t: clamping there keeps
        // floor() representable as an Int without changing any value or gradient.
        let limit = T(shape.segments + 1)
        try withScratch(shape.clips * shape.parts, of: PartShift<T>.self) { shifts in
            for index in 0..<(shape.clips * shape.parts) {
                let (clip, part) = index.quotientAndRemainder(dividingBy: shape.parts)
                let sign: T = part < shape.groups ? 1 : -1
                let s = min(max(sign * offsets[clip * shape.groups + part % shape.groups], -limit), limit)
                let floor = s.rounded(.down)
                (shifts + index).initialize(to: PartShift(k: Int(floor), a: s - floor, sign: sign))
            }
            body(shifts)
        }
    }

    static func forward<T: KernelScalar>(_ x: UnsafePointer<T>, _ offsets: UnsafePointer<T>, _ weights: UnsafePointer<T>,
                                         _ y: UnsafeMutablePointer<T>, _ shape: Shape) throws(VTError) {
        try withPartShifts(offsets, shape) { shifts in interlace(x, shifts, weights, y, shape) }
    }

    private static func interlace<T: KernelScalar>(_ x: UnsafePointer<T>, _ shifts: UnsafePointer<PartShift<T>>,
                                                 _ weights: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                                 _ shape: Shape) {
        adviseHugePages(y, bytes: shape.count * MemoryLayout<T>.stride)
        let pointers = UnsafeTransfer((x, weights, y, shifts))
        let (frameCount, rowCount, block) = (shape.frameCount, shape.rowCount, shape.partCount)
        parallelFor(shape.frames, bytesPerItem: frameCount * MemoryLayout<T>.stride) { frames in
            let (x, weights, y, shifts) = pointers.value
            for frame in frames {
                let (clip, t) = frame.quotientAndRemainder(dividingBy: shape.segments)
                for row in 0..<shape.rows {
                    let offset = row * rowCount
                    func source(_ time: Int, _ part: Int) -> UnsafePointer<T>? {
                        guard (0..<shape.segments).contains(time) else { return nil }
                        return x + (clip * shape.segments + time) * frameCount + offset + part * block
                    }
                    for part in 0..<shape.parts {
                        let shift = shifts[clip * shape.parts + part]
                        let weight = weights[frame * shape.groups + part % shape.groups]
                        blend(y + frame * frameCount + offset + part * block,
                              weight * (1 - shift.a), source(t - shift.k, part),
                              weight * shift.a, source(t - shift.k - 1, part), count: block)
                    }
                    let copied = frame * frameCount + offset + shape.copiedStart
                    (y + copied).update(from: x + copied, count: rowCount - shape.copiedStart)
                }
            }
        }
    }

    /// Gradients of every input; a nil output is not computed.
    static func backward<T: KernelScalar>(_ gradY: UnsafePointer<T>, _ x: UnsafePointer<T>, _ offsets: UnsafePointer<T>,
                                          _ weights: UnsafePointer<T>, gradX: UnsafeMutablePointer<T>?,
                                          gradOffsets: UnsafeMutablePointer<T>?, gradWeights: UnsafeMutablePointer<T>?,
                                          _ shape: Shape) throws(VTError) {
        let wantParameters = gradOffsets != nil || gradWeights != nil
        // Per (clip, part, t): S0 = <dy[t], x[t-k]> and S1 = <dy[t], x[t-k-1]> over the part's
        // channels and pixels, from which both parameter gradients follow in a fixed order; then
        // one clip's offset (G) and weight (T*G) sums.
        let sumCount = wantParameters ? shape.frames * shape.parts * 2 + shape.groups * (shape.segments + 1) : 0
        try withScratch(sumCount, of: Double.self) { (sums) throws(VTError) in
            try withPartShifts(offsets, shape) { shifts in
                interlaceBackward(gradY, x, shifts, weights, gradX: gradX, gradOffsets: gradOffsets,
                                  gradWeights: gradWeights, sums: wantParameters ? sums : nil, shape)
            }
        }
    }

    private static func interlaceBackward<T: KernelScalar>(
        _ gradY: UnsafePointer<T>, _ x: UnsafePointer<T>, _ shifts: UnsafePointer<PartShift<T>>,
        _ weights: UnsafePointer<T>, gradX: UnsafeMutablePointer<T>?, gradOffsets: UnsafeMutablePointer<T>?,
        gradWeights: UnsafeMutablePointer<T>?, sums: UnsafeMutablePointer<Double>?, _ shape: Shape
    ) {
        if let gradX { adviseHugePages(gradX, bytes: shape.count * MemoryLayout<T>.stride) }
        let (frameCount, rowCount, block) = (shape.frameCount, shape.rowCount, shape.partCount)
        let pointers = UnsafeTransfer((gradY, x, weights, gradX, sums, shifts))
        parallelFor(shape.frames, bytesPerItem: frameCount * MemoryLayout<T>.stride) { frames in
            let (gradY, x, weights, gradX, sums, shifts) = pointers.value
            for frame in frames {
                let (clip, t) = frame.quotientAndRemainder(dividingBy: shape.segments)
                func inClip(_ time: Int) -> Bool { (0..<shape.segments).contains(time) }
                if let sums {
                    let first = ((clip * shape.parts) * shape.segments + t) * 2
                    for part in 0..<shape.parts {
                        (sums + first + part * shape.segments * 2).update(repeating: 0, count: 2)
                    }
                }
                for row in 0..<shape.rows {
                    /// Where a part of a frame of this clip starts in this row, in elements.
                    func start(_ time: Int, _ part: Int) -> Int {
                        (clip * shape.segments + time) * frameCount + row * rowCount + part * block
                    }
                    for part in 0..<shape.parts {
                        let shift = shifts[clip * shape.parts + part]
                        let g = part % shape.groups
                        if let gradX {
                            // x[t] fed y[t+k] with weight (1-a) and y[t+k+1] with weight a.
                            let (t0, t1) = (t + shift.k, t + shift.k + 1)
                            let w0: T = inClip(t0) ? weights[(clip * shape.segments + t0) * shape.groups + g] : 0
                            let w1: T = inClip(t1) ? weights[(clip * shape.segments + t1) * shape.groups + g] : 0
                            let dy0: UnsafePointer<T>? = inClip(t0) ? gradY + start(t0, part) : nil
                            let dy1: UnsafePointer<T>? = inClip(t1) ? gradY + start(t1, part) : nil
                            blend(gradX + start(t, part), w0 * (1 - shift.a), dy0, w1 * shift.a, dy1, count: block)
                        }
                        if let sums {
                            let dy = gradY + start(t, part)
                            let (s0, s1) = (t - shift.k, t - shift.k - 1)
                            let index = ((clip * shape.parts + part) * shape.segments + t) * 2
                            if inClip(s0) { sums[index] += dotProduct(dy, x + start(s0, part), count: block) }
                            if inClip(s1) { sums[index + 1] += dotProduct(dy, x + start(s1, part), count: block) }
                        }
                    }
                    if let gradX {
                        let copied = frame * frameCount + row * rowCount + shape.copiedStart
                        (gradX + copied).update(from: gradY + copied, count: rowCount - shape.copiedStart)
                    }
                }
            }
        }
        guard let sums else { return }
        let offsetSums = sums + shape.frames * shape.parts * 2, weightSums = offsetSums + shape.groups
        for clip in 0..<shape.clips {
            offsetSums.update(repeating: 0, count: shape.groups)
            weightSums.update(repeating: 0, count: shape.segments * shape.groups)
            for part in 0..<shape.parts {
                let shift = shifts[clip * shape.parts + part]
                let (a, g) = (Double(shift.a), part % shape.groups)
                for t in 0..<shape.segments {
                    let index = ((clip * shape.parts + part) * shape.segments + t) * 2
                    let (s0, s1) = (sums[index], sums[index + 1])
                    weightSums[t * shape.groups + g] += (1 - a) * s0 + a * s1
                    let weight = Double(weights[(clip * shape.segments + t) * shape.groups + g])
                    offsetSums[g] += Double(shift.sign) * weight * (s1 - s0)
                }
            }
            if let gradOffsets {
                for g in 0..<shape.groups { gradOffsets[clip * shape.groups + g] = T(offsetSums[g]) }
            }
            if let gradWeights {
                for i in 0..<(shape.segments * shape.groups) {
                    gradWeights[clip * shape.segments * shape.groups + i] = T(weightSums[i])
                }
            }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension TemporalInterlace {
    static func forward<T: KernelScalar>(_ a: TemporalInterlaceForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(a.x, clips: a.n, segments: a.t, groups: a.g, shiftDiv: a.shiftDiv)
        guard shape.clips > 0 else { return }
        try requireFiniteOffsets(a.offsets.pointer(T.self), shape)
        guard shape.count > 0 else { return }
        try forward(a.x.pointer(T.self), a.offsets.pointer(), a.weights.pointer(), a.y.mutablePointer(), shape)
    }

    static func backward<T: KernelScalar>(_ a: TemporalInterlaceBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(a.x, clips: a.n, segments: a.t, groups: a.g, shiftDiv: a.shiftDiv)
        guard shape.clips > 0 else { return }
        try requireFiniteOffsets(a.offsets.pointer(T.self), shape)
        let (gradOffsets, gradWeights) = (a.gradOffsets?.mutablePointer(T.self), a.gradWeights?.mutablePointer(T.self))
        guard shape.count > 0 else {
            // No pixels: the data gradient is empty and the parameter gradients are zero.
            gradOffsets?.update(repeating: 0, count: shape.clips * shape.groups)
            gradWeights?.update(repeating: 0, count: shape.frames * shape.groups)
            return
        }
        try backward(a.grad.pointer(T.self), a.x.pointer(), a.offsets.pointer(), a.weights.pointer(),
                     gradX: a.gradX?.mutablePointer(), gradOffsets: gradOffsets, gradWeights: gradWeights, shape)
    }
}
