/// Local correlation (as spatial-correlation-sampler with kernel_size 1, stride 1, padding 0):
///
///     out[b, i, j, y, x] = Σ_c f1[b,c,y,x] * f2[b,c, y + dy, x + dx],
///     dy = (i - (P-1)/2) * dilation,  dx = (j - (P-1)/2) * dilation
///
/// with samples outside the image counting 0 and no division by C. Work is split by image rows
/// (b, y): every output row, and every gradient row, is written by one task, with loops in a
/// fixed order. float32 runs on channel-last copies (dot products of contiguous channel vectors,
/// four displacements sharing one load of f1's; the backward accumulates scaled channel
/// vectors); float64 keeps the plain loops, vectorised along x.
enum Correlation {
    struct Shape: Sendable {
        let batch: Int
        let channels: Int
        let height: Int
        let width: Int
        let patch: Int
        let dilation: Int
        /// Rows one after another on the calling thread: for callers that run pairs in parallel.
        var serial = false

        var plane: Int { height * width }
        var featureCount: Int { batch * channels * plane }
        var outputCount: Int { batch * patch * patch * plane }
        /// The displacement of index i (or j), in pixels.
        func displacement(_ index: Int) -> Int { (index - (patch - 1) / 2) * dilation }
    }

    static func shape(b: Int64, c: Int64, h: Int64, w: Int64, patchSize: Int64, dilationPatch: Int64,
                      elementSize: Int) throws(VTError) -> Shape {
        let shape = Shape(batch: try dimension(b, "b"), channels: try dimension(c, "c"), height: try dimension(h, "h"),
                          width: try dimension(w, "w"), patch: try positive(patchSize, "patch_size"),
                          dilation: try positive(dilationPatch, "dilation_patch"))
        guard shape.patch % 2 == 1 else { throw .invalidArgument("patch_size=\(shape.patch) must be odd") }
        _ = try elementCount([shape.batch, shape.channels, shape.height, shape.width], elementSize: elementSize,
                             tensor: "f1")
        _ = try elementCount([shape.batch, shape.patch, shape.patch, shape.height, shape.width],
                             elementSize: elementSize, tensor: "out")
        // Displacements times the dilation must stay representable.
        _ = try checkedCount([[shape.patch, shape.dilation]], "patch_size * dilation_patch")
        return shape
    }

    /// The x range where both x and x + dx are inside the row.
    @inline(__always)
    private static func columns(_ dx: Int, _ width: Int) -> Range<Int> { max(0, -dx)..<max(max(0, -dx), min(width, width - dx)) }

    /// Runs body(b, y) for every image row, rows in parallel.
    private static func forEachRow(_ shape: Shape, _ body: @Sendable (Int, Int) -> Void) {
        let work = shape.channels * shape.patch * shape.patch * shape.width * 8
        parallelTasks(shape.batch * shape.height, bytesPerItem: work, maxTasks: shape.serial ? 1 : Threads.count) {
            _, rows in
            for row in rows { body(row / shape.height, row % shape.height) }
        }
    }

    /// Scratch elements (of T) a call uses: for float32, channel-last copies of both inputs and a
    /// gradient. A caller that must not fail half-way allocates them up front.
    static func scratchCount<T>(_ shape: Shape, of _: T.Type) -> Int { T.self == Float.self ? 3 * shape.featureCount : 0 }

    static func forward<T: KernelScalar>(_ f1: UnsafePointer<T>, _ f2: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape) throws(VTError) {
        try withScratch(scratchCount(shape, of: T.self), of: T.self) { scratch in forward(f1, f2, out, shape, scratch: scratch) }
    }

    /// The forward with the caller's scratch (scratchCount elements).
    static func forward<T: KernelScalar>(_ f1: UnsafePointer<T>, _ f2: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape, scratch: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            forwardChannelsLast(asFloat(f1), asFloat(f2), asFloat(out), asFloat(scratch), shape)
            return
        }
        let pointers = UnsafeTransfer((f1, f2, out))
        let (p, plane, w) = (shape.patch, shape.plane, shape.width)
        forEachRow(shape) { b, y in
            let (f1, f2, out) = pointers.value
            for i in 0..<p {
                let y2 = y + shape.displacement(i)
                for j in 0..<p { (out + ((b * p + i) * p + j) * plane + y * w).update(repeating: 0, count: w) }
                guard (0..<shape.height).contains(y2) else { continue }
                for c in 0..<shape.channels {
                    let a = f1 + (b * shape.channels + c) * plane + y * w
                    let s = f2 + (b * shape.channels + c) * plane + y2 * w
                    for j in 0..<p {
                        let dx = shape.displacement(j)
                        let o = out + ((b * p + i) * p + j) * plane + y * w
                        for x in columns(dx, w) { o[x] += a[x] * s[x + dx] }
                    }
                }
            }
        }
    }

    /// Gradients of f1 and f2 (a nil output is not computed).
    static func backward<T: KernelScalar>(_ grad: UnsafePointer<T>, _ f1: UnsafePointer<T>, _ f2: UnsafePointer<T>,
                                          gradF1: UnsafeMutablePointer<T>?, gradF2: UnsafeMutablePointer<T>?,
                                          _ shape: Shape) throws(VTError) {
        try withScratch(scratchCount(shape, of: T.self), of: T.self) { scratch in
            backward(grad, f1, f2, gradF1: gradF1, gradF2: gradF2, shape, scratch: scratch)
        }
    }

    /// The backward with the caller's scratch (scratchCount elements).
    static func backward<T: KernelScalar>(_ grad: UnsafePointer<T>, _ f1: UnsafePointer<T>, _ f2: UnsafePointer<T>,
                                          gradF1: UnsafeMutablePointer<T>?, gradF2: UnsafeMutablePointer<T>?,
                                          _ shape: Shape, scratch: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            backwardChannelsLast(asFloat(grad), asFloat(f1), asFloat(f2), gradF1.map(asFloat), gradF2.map(asFloat),
                                 asFloat(scratch), shape)
            return
        }
        let pointers = UnsafeTransfer((grad, f1, f2, gradF1, gradF2))
        let (p, plane, w, channels) = (shape.patch, shape.plane, shape.width, shape.channels)
        forEachRow(shape) { b, y in
            let (grad, f1, f2, gradF1, gradF2) = pointers.value
            // grad_f1[c, y, x] = Σ_{i,j} g[i, j, y, x] f2[c, y + dy, x + dx]
            if let gradF1 {
                for c in 0..<channels { (gradF1 + (b * channels + c) * plane + y * w).update(repeating: 0, count: w) }
                for i in 0..<p {
                    let y2 = y + shape.displacement(i)
                    guard (0..<shape.height).contains(y2) else { continue }
                    for c in 0..<channels {
                        let ga = gradF1 + (b * channels + c) * plane + y * w
                        let s = f2 + (b * channels + c) * plane + y2 * w
                        for j in 0..<p {
                            let dx = shape.displacement(j)
                            let g = grad + ((b * p + i) * p + j) * plane + y * w
                            for x in columns(dx, w) { ga[x] += g[x] * s[x + dx] }
                        }
                    }
                }
            }
            // grad_f2[c, y, x] = Σ_{i,j} g[i, j, y - dy, x - dx] f1[c, y - dy, x - dx] (this row is y2 = y)
            if let gradF2 {
                for c in 0..<channels { (gradF2 + (b * channels + c) * plane + y * w).update(repeating: 0, count: w) }
                for i in 0..<p {
                    let y1 = y - shape.displacement(i)
                    guard (0..<shape.height).contains(y1) else { continue }
                    for c in 0..<channels {
                        let gb = gradF2 + (b * channels + c) * plane + y * w
                        let a = f1 + (b * channels + c) * plane + y1 * w
                        for j in 0..<p {
                            let dx = shape.displacement(j)
                            let g = grad + ((b * p + i) * p + j) * plane + y1 * w
                            // x1 = x - dx ranges over columns(dx): gb[x1 + dx] += g[x1] a[x1]
                            for x1 in columns(dx, w) { gb[x1 + dx] += g[x1] * a[x1] }
                        }
                    }
                }
            }
        }
    }

    /// The float32 paths' view of a generic pointer (called only when T is Float).
    private static func asFloat<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    private static func asFloat<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    /// (B, C, H, W) -> (B, H, W, C), so that each pixel's channel vector is contiguous.
    private static func channelsLast(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>,
                                     _ shape: Shape) {
        let (c, plane) = (shape.channels, shape.plane)
        for b in 0..<shape.batch {
            for ch in 0..<c {
                let from = source + (b * c + ch) * plane
                let to = target + b * plane * c + ch
                for p in 0..<plane { to[p * c] = from[p] }
            }
        }
    }

    /// The float32 forward: each output is the dot product of two contiguous channel vectors;
    /// four displacements at a time share the loads of f1's vector.
    private static func forwardChannelsLast(_ f1: UnsafePointer<Float>, _ f2: UnsafePointer<Float>,
                                            _ out: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>,
                                            _ shape: Shape) {
        let (c, plane, w, p) = (shape.channels, shape.plane, shape.width, shape.patch)
        channelsLast(f1, scratch, shape)
        channelsLast(f2, scratch + shape.featureCount, shape)
        let pointers = UnsafeTransfer((UnsafePointer(scratch), UnsafePointer(scratch + shape.featureCount), out))
        forEachRow(shape) { b, y in
            let (a, s, out) = pointers.value
            for i in 0..<p {
                let y2 = y + shape.displacement(i)
                let rowOut = out + (b * p + i) * p * plane + y * w
                guard (0..<shape.height).contains(y2) else {
                    for j in 0..<p { (rowOut + j * plane).update(repeating: 0, count: w) }
                    continue
                }
                for x in 0..<w {
                    let av = a + ((b * shape.height + y) * w + x) * c
                    let row2 = s + (b * shape.height + y2) * w * c
                    var j = 0
                    while j < p {
                        let count = min(4, p - j)
                        var sums = SIMD4<Float>()
                        dot4(av, row2, x: x, j: j, count: count, shape, into: &sums)
                        for q in 0..<count { rowOut[(j + q) * plane + x] = sums[q] }
                        j += count
                    }
                }
            }
        }
    }

    /// sums[q] = a · f2row[x + dx(j + q)] for q < count (0 where the column falls outside).
    @inline(__always)
    private static func dot4(_ a: UnsafePointer<Float>, _ row: UnsafePointer<Float>, x: Int, j: Int, count: Int,
                             _ shape: Shape, into sums: inout SIMD4<Float>) {
        let (c, w) = (shape.channels, shape.width)
        // Column q's channel vector, or a's own (any valid address) when absent; absent sums are
        // zeroed below.
        var present = SIMD4<Float>()
        func column(_ q: Int) -> UnsafePointer<Float> {
            let x2 = x + shape.displacement(j + q)
            guard q < count, x2 >= 0, x2 < w else { return a }
            present[q] = 1
            return row + x2 * c
        }
        let (b0, b1, b2, b3) = (column(0), column(1), column(2), column(3))
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var k = 0
        while k + 8 <= c {
            let v = UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self)
            acc0 += v * UnsafeRawPointer(b0 + k).loadUnaligned(as: SIMD8<Float>.self)
            acc1 += v * UnsafeRawPointer(b1 + k).loadUnaligned(as: SIMD8<Float>.self)
            acc2 += v * UnsafeRawPointer(b2 + k).loadUnaligned(as: SIMD8<Float>.self)
            acc3 += v * UnsafeRawPointer(b3 + k).loadUnaligned(as: SIMD8<Float>.self)
            k += 8
        }
        var tail = SIMD4<Float>()
        while k < c {
            tail += SIMD4(b0[k], b1[k], b2[k], b3[k]) * a[k]
            k += 1
        }
        sums = (SIMD4(acc0.sum(), acc1.sum(), acc2.sum(), acc3.sum()) + tail).replacing(with: 0, where: present .== 0)
    }

    /// (B, H, W, C) -> (B, C, H, W).
    private static func channelsFirst(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>,
                                      _ shape: Shape) {
        let (c, plane) = (shape.channels, shape.plane)
        for b in 0..<shape.batch {
            for ch in 0..<c {
                let from = source + b * plane * c + ch
                let to = target + (b * c + ch) * plane
                for p in 0..<plane { to[p] = from[p * c] }
            }
        }
    }

    /// The float32 backward on channel-last copies: every gradient pixel accumulates scaled
    /// channel vectors (acc += g * f), which vectorises along the channels with no reductions.
    private static func backwardChannelsLast(_ grad: UnsafePointer<Float>, _ f1: UnsafePointer<Float>,
                                             _ f2: UnsafePointer<Float>, _ gradF1: UnsafeMutablePointer<Float>?,
                                             _ gradF2: UnsafeMutablePointer<Float>?,
                                             _ scratch: UnsafeMutablePointer<Float>, _ shape: Shape) {
        let (c, w, h, p, n) = (shape.channels, shape.width, shape.height, shape.patch, shape.featureCount)
        let (a, s, result) = (scratch, scratch + n, scratch + 2 * n)
        channelsLast(f1, a, shape)
        channelsLast(f2, s, shape)
        for (target, second) in [(gradF1, false), (gradF2, true)] {
            guard let target else { continue }
            let pointers = UnsafeTransfer((grad, UnsafePointer(a), UnsafePointer(s), result))
            forEachRow(shape) { b, y in
                let (grad, a, s, result) = pointers.value
                for x in 0..<w {
                    let acc = result + ((b * h + y) * w + x) * c
                    acc.update(repeating: 0, count: c)
                    for i in 0..<p {
                        // grad_f1 at (y, x) reads g at (y, x) and f2 at (y + dy, x + dx);
                        // grad_f2 at (y, x) reads g and f1 at (y - dy, x - dx).
                        let dy = shape.displacement(i)
                        let yOther = second ? y - dy : y + dy
                        guard (0..<h).contains(yOther) else { continue }
                        for j in 0..<p {
                            let dx = shape.displacement(j)
                            let xOther = second ? x - dx : x + dx
                            guard (0..<w).contains(xOther) else { continue }
                            let (gy, gx) = second ? (yOther, xOther) : (y, x)
                            let scale = grad[(((b * p + i) * p + j) * h + gy) * w + gx]
                            let vector = (second ? a : s) + ((b * h + yOther) * w + xOther) * c
                            for k in 0..<c { acc[k] += scale * vector[k] }
                        }
                    }
                }
            }
            channelsFirst(result, target, shape)
        }
    }
}
