/// spatial-correlation-sampler's correlation with its whole argument set: a kernel window with
/// stride, padding and dilation, and a patch of displacements that may be even or rectangular:
///
///     out[b, p, q, h, w] = Σ_c Σ_{i<KH} Σ_{j<KW} in1[b,c,y,x] * in2[b,c, y + su, x + sv],
///     y = h*SH - PADH + i*DILH,  x = w*SW - PADW + j*DILW,
///     su = (p - (PH-1)/2) * dilation_patch_h,  sv = (q - (PW-1)/2) * dilation_patch_w
///
/// a term counting only where both samples lie in the image (zero padding), no normalisation,
/// (OH, OW) from `outputSize`. The peer's own case, kernel 1, stride 1, padding 0 with an odd
/// square patch, runs `Correlation`'s register-tiled kernels.
///
/// Here the sum is split in two: per image and displacement the channel sums at full resolution,
/// D[y, x] = Σ_c in1[c,y,x] in2[c,y+su,x+sv] (only the rows some window reads), then each output
/// sums D over its window. The backward is the adjoint in the same two steps: E = the window
/// sums' adjoint of grad, then grad_in1 = Σ E · in2 shifted and grad_in2 = Σ E · in1 shifted back,
/// each over blocks of its own rows. Every output and gradient element is written by one task
/// with its sums in a fixed order, so results do not depend on the thread count.
enum SpatialCorrelationSample {
    /// One spatial axis: the image size, the window (kernel, stride, padding, dilation), the
    /// patch of displacements and the output size.
    struct Axis: Sendable {
        let size: Int
        let kernel: Int
        let patch: Int
        let stride: Int
        let padding: Int
        let dilation: Int
        let dilationPatch: Int
        let output: Int

        /// The image position of output o's tap i.
        @inline(__always)
        func position(_ o: Int, _ i: Int) -> Int { o * stride - padding + i * dilation }

        /// The taps of output o whose positions lie in `window` and in the image.
        func taps(_ o: Int, in window: Range<Int>) -> Range<Int> {
            let (lo, hi) = (max(window.lowerBound, 0), min(window.upperBound, size))
            guard lo < hi, kernel > 0 else { return 0..<0 }
            let start = o * stride - padding
            let first = max(0, ceilDivide(lo - start, dilation))
            let last = min(kernel, floorDivide(hi - 1 - start, dilation) + 1)
            return first..<max(first, last)
        }

        func taps(_ o: Int) -> Range<Int> { taps(o, in: 0..<size) }

        /// The outputs one of whose taps may lie in `window` (a superset; `taps` says which do).
        func outputs(touching window: Range<Int>) -> Range<Int> {
            guard kernel > 0, !window.isEmpty else { return 0..<0 }
            let first = max(0, ceilDivide(window.lowerBound + padding - (kernel - 1) * dilation, stride))
            let last = min(output, floorDivide(window.upperBound - 1 + padding, stride) + 1)
            return first..<max(first, last)
        }

        /// The displacement of patch index p, or nil where no pixel reaches its sample (that
        /// output plane is 0).
        func shift(_ p: Int) -> Int? {
            let (s, overflow) = (p - (patch - 1) / 2).multipliedReportingOverflow(by: dilationPatch)
            return overflow || s <= -size || s >= size ? nil : s
        }
    }

    struct Shape: Sendable {
        let batch: Int
        let channels: Int
        let rows: Axis
        let columns: Axis

        var displacements: Int { rows.patch * columns.patch }
        var plane: Int { rows.size * columns.size }
        var outputPlane: Int { rows.output * columns.output }
        /// Output rows per forward task: a band of about 16 image rows of D.
        var outputRowsPerBlock: Int { max(1, min(rows.output, 16 / rows.stride)) }
        /// Image rows per backward task.
        static let imageRowsPerBlock = 16
    }

    /// The output size along one axis, as the peer computes it (C++ integer division, which
    /// truncates towards zero): (size + 2*padding - ((kernel - 1)*dilation + 1)) / stride + 1.
    /// Refused: arguments below their minimums, sums that overflow, and a negative result.
    static func outputSize(_ size: Int, _ kernel: Int, _ padding: Int, _ dilation: Int, _ stride: Int) throws(VTError)
        -> Int {
        for (value, minimum, name) in [(size, 0, "size"), (kernel, 0, "kernel_size"), (dilation, 1, "dilation"),
                                       (stride, 1, "stride")] where value < minimum {
            throw .invalidArgument("\(name)=\(value) must be >= \(minimum)", argument: name)
        }
        let (window, o1) = (kernel - 1).multipliedReportingOverflow(by: dilation)
        let (twice, o2) = padding.multipliedReportingOverflow(by: 2)
        let (padded, o3) = size.addingReportingOverflow(twice)
        let (span, o4) = padded.subtractingReportingOverflow(window &+ 1)
        guard !(o1 || o2 || o3 || o4 || window == Int.max) else {
            throw .invalidArgument("size=\(size), kernel_size=\(kernel), padding=\(padding) and dilation=\(dilation) "
                + "overflow the output size", argument: "kernel_size")
        }
        let output = span / stride + 1
        guard output >= 0 else {
            throw .invalidArgument("the output size (\(size) + 2*\(padding) - ((\(kernel) - 1)*\(dilation) + 1)) "
                + "/ \(stride) + 1 = \(output) is negative: the window is larger than the padded input",
                                   argument: "kernel_size")
        }
        return output
    }

    /// The x range where both x and x + dx lie in a row of `width`.
    @inline(__always)
    private static func columns(_ dx: Int, _ width: Int) -> Range<Int> { max(0, -dx)..<max(max(0, -dx), min(width, width - dx)) }

    /// flags[y]: whether some output's window reads image row y (the rows of D the forward
    /// computes, the rows where the backward's E is not 0).
    private static func coverRows(_ rows: Axis, _ flags: UnsafeMutablePointer<Bool>) {
        flags.update(repeating: false, count: rows.size)
        for h in 0..<rows.output {
            for i in rows.taps(h) { flags[rows.position(h, i)] = true }
        }
    }

    static func forward<T: KernelScalar>(_ in1: UnsafePointer<T>, _ in2: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape) throws(VTError) {
        let (rows, cols) = (shape.rows, shape.columns)
        let block = shape.outputRowsPerBlock
        let blocks = (rows.output + block - 1) / block
        let items = shape.batch * blocks
        // Per task: D for every displacement over the block's band of image rows.
        let band = min(rows.size, (block - 1) * rows.stride + max(1, (rows.kernel - 1) * rows.dilation + 1))
        let tasks = max(1, min(Threads.count, items))
        let (planeCount, o1) = shape.displacements.multipliedReportingOverflow(by: band * cols.size)
        let (scratchCount, o2) = planeCount.multipliedReportingOverflow(by: tasks)
        guard !o1, !o2 else { throw .allocation("the correlation planes of this patch and image overflow") }
        try withScratch(rows.size, of: Bool.self) { (covered) throws(VTError) in
            coverRows(rows, covered)
            try withScratch(scratchCount, of: T.self) { scratch in
                let pointers = UnsafeTransfer((in1, in2, out, scratch, UnsafePointer(covered)))
                let work = shape.channels * band * cols.size * shape.displacements * MemoryLayout<T>.stride
                parallelTasks(items, bytesPerItem: work, maxTasks: tasks) { task, range in
                    let (in1, in2, out, scratch, covered) = pointers.value
                    for item in range {
                        let (b, first) = (item / blocks, item % blocks * block)
                        forwardBlock(in1, in2, out, shape, b, first..<min(rows.output, first + block),
                                     scratch + task * planeCount, covered, band: band)
                    }
                }
            }
        }
    }

    /// Output rows `outputs` of image b; `d` holds the displacements' planes over a band of image
    /// rows from the first one the block reads.
    private static func forwardBlock<T: KernelScalar>(_ in1: UnsafePointer<T>, _ in2: UnsafePointer<T>,
                                                      _ out: UnsafeMutablePointer<T>, _ shape: Shape, _ b: Int,
                                                      _ outputs: Range<Int>, _ d: UnsafeMutablePointer<T>,
                                                      _ covered: UnsafePointer<Bool>, band: Int) {
        let (rows, cols, channels) = (shape.rows, shape.columns, shape.channels)
        let (w, ow, plane) = (cols.size, cols.output, shape.plane)
        var top = Int.max
        for h in outputs where !rows.taps(h).isEmpty { top = min(top, rows.position(h, rows.taps(h).lowerBound)) }
        let bandRows = top == Int.max ? 0..<0 : top..<min(rows.size, top + band)
        let planeStride = band * w
        // D row by row and patch row by patch row: that row's displacements' sums (PW rows of the
        // image's width) stay in L1 over the channels.
        for y in bandRows where covered[y] {
            for p in 0..<rows.patch {
                let first = d + p * cols.patch * planeStride + (y - top) * w
                for q in 0..<cols.patch { (first + q * planeStride).update(repeating: 0, count: w) }
                guard let su = rows.shift(p), (0..<rows.size).contains(y + su) else { continue }
                for c in 0..<channels {
                    let a = in1 + (b * channels + c) * plane + y * w
                    let s = in2 + (b * channels + c) * plane + (y + su) * w
                    for q in 0..<cols.patch {
                        guard let sv = cols.shift(q) else { continue }
                        let x = columns(sv, w)
                        addProducts(first + q * planeStride + x.lowerBound, a + x.lowerBound, s + x.lowerBound + sv,
                                    count: x.count)
                    }
                }
            }
        }
        // Each output: D summed over its window (rows whose shifted sample is outside are 0 in D).
        for p in 0..<rows.patch {
            for q in 0..<cols.patch {
                let target = out + ((b * rows.patch + p) * cols.patch + q) * shape.outputPlane
                let source = d + (p * cols.patch + q) * planeStride
                for h in outputs {
                    let line = target + h * ow
                    guard let su = rows.shift(p), cols.shift(q) != nil else {
                        line.update(repeating: 0, count: ow)
                        continue
                    }
                    let taps = rows.taps(h, in: -su..<(rows.size - su))
                    for x in 0..<ow {
                        let columnTaps = cols.taps(x)
                        var sum = T.zero
                        for i in taps {
                            let row = source + (rows.position(h, i) - top) * w
                            for j in columnTaps { sum += row[cols.position(x, j)] }
                        }
                        line[x] = sum
                    }
                }
            }
        }
    }

    /// Gradients of in1 and in2 (a nil output is not computed).
    static func backward<T: KernelScalar>(_ grad: UnsafePointer<T>, _ in1: UnsafePointer<T>, _ in2: UnsafePointer<T>,
                                          gradIn1: UnsafeMutablePointer<T>?, gradIn2: UnsafeMutablePointer<T>?,
                                          _ shape: Shape) throws(VTError) {
        let (rows, cols) = (shape.rows, shape.columns)
        let block = min(Shape.imageRowsPerBlock, max(1, rows.size))
        let blocks = (rows.size + block - 1) / block
        let items = shape.batch * blocks
        let (planeCount, overflow) = shape.displacements.multipliedReportingOverflow(by: block * cols.size)
        let tasks = max(1, min(Threads.count, items))
        let (scratchCount, o2) = planeCount.multipliedReportingOverflow(by: tasks)
        guard !overflow, !o2 else { throw .allocation("the correlation planes of this patch and image overflow") }
        try withScratch(rows.size, of: Bool.self) { (covered) throws(VTError) in
            coverRows(rows, covered)
            try withScratch(scratchCount, of: T.self) { scratch in
                let pointers = UnsafeTransfer((grad, in1, in2, gradIn1, gradIn2, scratch, UnsafePointer(covered)))
                let work = shape.channels * block * cols.size * shape.displacements * 2 * MemoryLayout<T>.stride
                // grad_in1's rows, then grad_in2's: each task owns a band of rows of the one it writes.
                for first in [true, false] where (first ? gradIn1 : gradIn2) != nil {
                    parallelTasks(items, bytesPerItem: work, maxTasks: tasks) { task, range in
                        let (grad, in1, in2, gradIn1, gradIn2, scratch, covered) = pointers.value
                        let e = scratch + task * planeCount
                        for item in range {
                            let (b, top) = (item / blocks, item % blocks * block)
                            let band = top..<min(rows.size, top + block)
                            if first {
                                backwardFirst(grad, in2, gradIn1!, shape, b, band, e, covered, blockRows: block)
                            } else {
                                backwardSecond(grad, in1, gradIn2!, shape, b, band, e, covered, blockRows: block)
                            }
                        }
                    }
                }
            }
        }
    }

    /// E for displacement (p, q) of image b over image rows `window` (row r of e is image row
    /// window.lowerBound + r): the adjoint of the window sums, grad scattered onto its taps.
    private static func scatter<T: KernelScalar>(_ grad: UnsafePointer<T>, _ shape: Shape, _ b: Int, _ p: Int, _ q: Int,
                                                 _ window: Range<Int>, _ e: UnsafeMutablePointer<T>) {
        let (rows, cols, w, ow) = (shape.rows, shape.columns, shape.columns.size, shape.columns.output)
        e.update(repeating: 0, count: window.count * w)
        let g = grad + ((b * rows.patch + p) * cols.patch + q) * shape.outputPlane
        for h in rows.outputs(touching: window) {
            for i in rows.taps(h, in: window) {
                let row = e + (rows.position(h, i) - window.lowerBound) * w
                for x in 0..<ow {
                    let value = g[h * ow + x]
                    for j in cols.taps(x) { row[cols.position(x, j)] += value }
                }
            }
        }
    }

    /// grad_in1 over image rows `band` of image b: Σ over displacements of E · in2 shifted.
    private static func backwardFirst<T: KernelScalar>(_ grad: UnsafePointer<T>, _ in2: UnsafePointer<T>,
                                                       _ gradIn1: UnsafeMutablePointer<T>, _ shape: Shape, _ b: Int,
                                                       _ band: Range<Int>, _ e: UnsafeMutablePointer<T>,
                                                       _ covered: UnsafePointer<Bool>, blockRows: Int) {
        let (rows, cols, channels, w, plane) = (shape.rows, shape.columns, shape.channels, shape.columns.size, shape.plane)
        let planeStride = blockRows * w
        for p in 0..<rows.patch {
            for q in 0..<cols.patch where rows.shift(p) != nil && cols.shift(q) != nil {
                scatter(grad, shape, b, p, q, band, e + (p * cols.patch + q) * planeStride)
            }
        }
        // Row by row, then patch row by patch row (its E rows stay in L1 over the channels); 0
        // where no window reads.
        for y in band {
            for c in 0..<channels { (gradIn1 + (b * channels + c) * plane + y * w).update(repeating: 0, count: w) }
            guard covered[y] else { continue }
            for p in 0..<rows.patch {
                guard let su = rows.shift(p), (0..<rows.size).contains(y + su) else { continue }
                let first = e + p * cols.patch * planeStride + (y - band.lowerBound) * w
                for c in 0..<channels {
                    let ga = gradIn1 + (b * channels + c) * plane + y * w
                    let s = in2 + (b * channels + c) * plane + (y + su) * w
                    for q in 0..<cols.patch {
                        guard let sv = cols.shift(q) else { continue }
                        let x = columns(sv, w)
                        addProducts(ga + x.lowerBound, first + q * planeStride + x.lowerBound, s + x.lowerBound + sv,
                                    count: x.count)
                    }
                }
            }
        }
    }

    /// grad_in2 over image rows `band` of image b: Σ over displacements of E · in1, both read
    /// at the rows y - su that sampled these.
    private static func backwardSecond<T: KernelScalar>(_ grad: UnsafePointer<T>, _ in1: UnsafePointer<T>,
                                                        _ gradIn2: UnsafeMutablePointer<T>, _ shape: Shape, _ b: Int,
                                                        _ band: Range<Int>, _ e: UnsafeMutablePointer<T>,
                                                        _ covered: UnsafePointer<Bool>, blockRows: Int) {
        let (rows, cols, channels, w, plane) = (shape.rows, shape.columns, shape.channels, shape.columns.size, shape.plane)
        let planeStride = blockRows * w
        for p in 0..<rows.patch {
            guard let su = rows.shift(p) else { continue }
            for q in 0..<cols.patch where cols.shift(q) != nil {
                scatter(grad, shape, b, p, q, (band.lowerBound - su)..<(band.upperBound - su),
                        e + (p * cols.patch + q) * planeStride)
            }
        }
        for y in band {
            for c in 0..<channels { (gradIn2 + (b * channels + c) * plane + y * w).update(repeating: 0, count: w) }
            for p in 0..<rows.patch {
                guard let su = rows.shift(p), (0..<rows.size).contains(y - su), covered[y - su] else { continue }
                let first = e + p * cols.patch * planeStride + (y - band.lowerBound) * w
                for c in 0..<channels {
                    let gb = gradIn2 + (b * channels + c) * plane + y * w
                    let a = in1 + (b * channels + c) * plane + (y - su) * w
                    for q in 0..<cols.patch {
                        guard let sv = cols.shift(q) else { continue }
                        let x = columns(sv, w)
                        addProducts(gb + x.lowerBound + sv, first + q * planeStride + x.lowerBound, a + x.lowerBound,
                                    count: x.count)
                    }
                }
            }
        }
    }
}

/// ⌊a / b⌋ and ⌈a / b⌉ for b > 0 (Swift's `/` truncates towards zero).
@inline(__always)
private func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

@inline(__always)
private func ceilDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

// MARK: The entry points the generated thunks call (their tensors already checked against the op table)

/// What both generated argument structs hold: the images' dims and each axis's arguments.
protocol SpatialCorrelationSampleSizes {
    var b: Int { get }
    var c: Int { get }
    var h: Int { get }
    var w: Int { get }
    var kh: Int { get }
    var kw: Int { get }
    var ph: Int { get }
    var pw: Int { get }
    var sh: Int { get }
    var sw: Int { get }
    var padh: Int { get }
    var padw: Int { get }
    var dilh: Int { get }
    var dilw: Int { get }
    var oh: Int { get }
    var ow: Int { get }
    var dilationPatchH: Int64 { get }
    var dilationPatchW: Int64 { get }
}

extension SpatialCorrelationSampleForwardArguments: SpatialCorrelationSampleSizes {}
extension SpatialCorrelationSampleBackwardArguments: SpatialCorrelationSampleSizes {}

extension SpatialCorrelationSample.Shape {
    init(_ a: some SpatialCorrelationSampleSizes) {
        self.init(batch: a.b, channels: a.c,
                  rows: .init(size: a.h, kernel: a.kh, patch: a.ph, stride: a.sh, padding: a.padh, dilation: a.dilh,
                              dilationPatch: Int(a.dilationPatchH), output: a.oh),
                  columns: .init(size: a.w, kernel: a.kw, patch: a.pw, stride: a.sw, padding: a.padw, dilation: a.dilw,
                                 dilationPatch: Int(a.dilationPatchW), output: a.ow))
    }
}

extension SpatialCorrelationSample {
    /// The peer's own case, kernel 1, stride 1, padding 0 with an odd square patch and one positive
    /// patch dilation (the kernel's dilation then moves nothing): `Correlation`'s shape for it.
    private static func correlation<A: SpatialCorrelationSampleSizes>(_ a: A, elementSize: Int) throws(VTError)
        -> Correlation.Shape? {
        guard a.kh == 1, a.kw == 1, a.sh == 1, a.sw == 1, a.padh == 0, a.padw == 0, a.ph == a.pw, a.ph % 2 == 1,
              a.dilationPatchH == a.dilationPatchW, a.dilationPatchH >= 1 else { return nil }
        return try Correlation.shape(b: a.b, c: a.c, h: a.h, w: a.w, patchSize: Int64(a.ph),
                                     dilationPatch: a.dilationPatchH, elementSize: elementSize, reachable: true,
                                     argument: "input1")
    }

    static func forward<T: KernelScalar>(_ a: SpatialCorrelationSampleForwardArguments, _: T.Type) throws(VTError) {
        guard a.out.count > 0 else { return }
        let out = a.out.mutablePointer(T.self)
        // No pixels (or no channels): every sum is empty, however many displacements and taps.
        guard a.input1.count > 0 else { return out.update(repeating: 0, count: a.out.count) }
        let (in1, in2) = (a.input1.pointer(T.self), a.input2.pointer(T.self))
        if let shape = try correlation(a, elementSize: MemoryLayout<T>.stride) {
            return try Correlation.forwardReachable(in1, in2, out, shape)
        }
        try forward(in1, in2, out, Shape(a))
    }

    /// Half precision: the correlation's own (its tiles read and write E); the general case on
    /// float32 copies.
    static func forwardHalf<E: FloatLanes>(_ a: SpatialCorrelationSampleForwardArguments, _: E.Type) throws(VTError) {
        guard a.out.count > 0 else { return }
        guard a.input1.count > 0 else {
            a.out.address.initializeMemory(as: UInt8.self, repeating: 0, count: a.out.bytes)
            return
        }
        if let shape = try correlation(a, elementSize: MemoryLayout<Float>.stride) {
            return try Correlation.forwardHalf(a.input1, a.input2, a.out, shape, E.self)
        }
        try HalfPrecision.withFloat32Copies([a.input1, a.input2, a.out], outputs: [false, false, true],
                                            inputs: [true, true, false]) { (copies) throws(VTError) in
            try forward(copies[0].pointer(Float.self), copies[1].pointer(), copies[2].mutablePointer(), Shape(a))
        }
    }

    static func backward<T: KernelScalar>(_ a: SpatialCorrelationSampleBackwardArguments, _: T.Type) throws(VTError) {
        guard a.input1.count > 0 else { return }
        let (grad, in1, in2) = (a.grad.pointer(T.self), a.input1.pointer(T.self), a.input2.pointer(T.self))
        let (gradIn1, gradIn2) = (a.gradInput1?.mutablePointer(T.self), a.gradInput2?.mutablePointer(T.self))
        guard a.grad.count > 0 else {   // no outputs: nothing reads the inputs
            gradIn1?.update(repeating: 0, count: a.input1.count)
            gradIn2?.update(repeating: 0, count: a.input2.count)
            return
        }
        if let shape = try correlation(a, elementSize: MemoryLayout<T>.stride) {
            return try Correlation.backwardReachable(grad, in1, in2, gradF1: gradIn1, gradF2: gradIn2, shape)
        }
        try backward(grad, in1, in2, gradIn1: gradIn1, gradIn2: gradIn2, Shape(a))
    }
}
