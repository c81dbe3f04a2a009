/// Local correlation (as spatial-correlation-sampler with kernel_size 1, stride 1, padding 0):
///
///     out[b, i, j, y, x] = Σ_c f1[b,c,y,x] * f2[b,c, y + dy, x + dx],
///     dy = (i - (P-1)/2) * dilation,  dx = (j - (P-1)/2) * dilation
///
/// with samples outside the image counting 0 and no division by C. float32 images at least 8
/// pixels wide run register-tiled kernels (Correlation+Tiles.swift); float64 and narrower images
/// keep the plain loops, vectorised along x (`addProducts`). Every output and gradient element is
/// written by one task with its sums in a fixed order, so results do not depend on the thread count.
enum Correlation {
    /// The register tiles (Correlation+Tiles.swift) in 8-lane (AVX2) and 16-lane (AVX-512) vectors.
    typealias NarrowTiles = Tiles<SIMD8<Float>>
    typealias WideTiles = Tiles<SIMD16<Float>>

    struct Shape: Sendable {
        let batch: Int
        let channels: Int
        let height: Int
        let width: Int
        let patch: Int
        let dilation: Int
        /// Tasks the work is split over at most, fixed when the shape is made (per-task scratch
        /// is sized for it); 1 for callers that run their own tasks.
        let tasks: Int

        var plane: Int { height * width }
        var featureCount: Int { batch * channels * plane }
        var outputCount: Int { batch * patch * patch * plane }
        var half: Int { (patch - 1) / 2 }
        /// The displacement of index i (or j), in pixels.
        func displacement(_ index: Int) -> Int { (index - half) * dilation }
        /// Rows zero-padded by the largest displacement on both sides, as the tiles read them.
        var paddedWidth: Int { width + 2 * half * dilation }
        /// The float32 tiles: a vector of columns wide, so images at least 8 pixels wide.
        var tiled: Bool { width >= NarrowTiles.lanes }
        /// 16-lane tiles: on the AVX-512 build, for images at least 16 pixels wide.
        var wide: Bool {
            #if VT_BUILD_X86_64_V4
            width >= WideTiles.lanes
            #else
            false
            #endif
        }

        /// The same correlation over the displacements that reach the image: past |d| >= its
        /// larger side every sample is padding and that output plane is 0, so a huge dilation
        /// leaves a smaller patch (P itself otherwise) and the scratch stays bounded by the image.
        /// With the centre alone left the dilation no longer matters, and is 1.
        var reachable: Shape {
            let side = max(height, width)
            let reach = side == 0 ? 0 : min(half, (side - 1) / dilation)
            return Shape(batch: batch, channels: channels, height: height, width: width, patch: 2 * reach + 1,
                         dilation: reach == 0 ? 1 : dilation, tasks: tasks)
        }
    }

    /// The layout of a call on (B, C, H, W) images (already checked against the op table), and the
    /// op's own rules: P odd, and the displacements, padded rows and scratch representable (for
    /// the reachable patch when `reachable`: the exported correlation computes only that one).
    /// Scratch is per task, and there are no more tasks than image rows.
    static func shape(b: Int, c: Int, h: Int, w: Int, patchSize: Int64, dilationPatch: Int64, elementSize: Int,
                      tasks: Int = Threads.count, reachable: Bool = false,
                      what: StaticString = "the scratch for f1's shape, patch_size and dilation_patch",
                      argument: String = "f1") throws(VTError) -> Shape {
        guard patchSize % 2 == 1 else { throw .invalidArgument("patch_size=\(patchSize) must be odd", argument: "patch_size") }
        let (rows, overflow) = b.multipliedReportingOverflow(by: h)
        let shape = Shape(batch: b, channels: c, height: h, width: w, patch: Int(patchSize), dilation: Int(dilationPatch),
                          tasks: max(1, min(tasks, overflow ? tasks : rows)))
        let checked = reachable ? shape.reachable : shape
        if checked.wide {
            try WideTiles.checkScratch(checked, elementSize: elementSize, what, argument: argument)
        } else {
            try NarrowTiles.checkScratch(checked, elementSize: elementSize, what, argument: argument)
        }
        return shape
    }

    /// The x range where both x and x + dx are inside the row.
    @inline(__always)
    private static func columns(_ dx: Int, _ width: Int) -> Range<Int> { max(0, -dx)..<max(max(0, -dx), min(width, width - dx)) }

    /// Runs body(b, y) for every image row, rows in parallel.
    private static func forEachRow(_ shape: Shape, _ body: @Sendable (Int, Int) -> Void) {
        let work = shape.channels * shape.patch * shape.patch * shape.width * 8
        parallelTasks(shape.batch * shape.height, bytesPerItem: work, maxTasks: shape.tasks) { _, rows in
            for row in rows { body(row / shape.height, row % shape.height) }
        }
    }

    /// Scratch elements (of T) a call uses. A caller that must not fail half-way allocates them up front.
    static func scratchCount<T>(_ shape: Shape, of _: T.Type) -> Int {
        guard T.self == Float.self, shape.tiled else { return 0 }
        return shape.wide ? WideTiles.scratchCount(shape) : NarrowTiles.scratchCount(shape)
    }

    static func forward<T: KernelScalar>(_ f1: UnsafePointer<T>, _ f2: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape) throws(VTError) {
        try withScratch(scratchCount(shape, of: T.self), of: T.self) { scratch in forward(f1, f2, out, shape, scratch: scratch) }
    }

    /// The forward with the caller's scratch (scratchCount elements).
    static func forward<T: KernelScalar>(_ f1: UnsafePointer<T>, _ f2: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         _ shape: Shape, scratch: UnsafeMutablePointer<T>) {
        if T.self == Float.self, shape.tiled {
            if shape.wide {
                WideTiles.forward(asFloat(f1), asFloat(f2), asFloat(out), asFloat(scratch), shape)
            } else {
                NarrowTiles.forward(asFloat(f1), asFloat(f2), asFloat(out), asFloat(scratch), shape)
            }
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
                        let x = columns(dx, w)
                        addProducts(o + x.lowerBound, a + x.lowerBound, s + x.lowerBound + dx, count: x.count)
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
        if T.self == Float.self, shape.tiled {
            if shape.wide {
                WideTiles.backward(asFloat(grad), asFloat(f1), asFloat(f2), gradF1: gradF1.map(asFloat),
                                   gradF2: gradF2.map(asFloat), asFloat(scratch), shape)
            } else {
                NarrowTiles.backward(asFloat(grad), asFloat(f1), asFloat(f2), gradF1: gradF1.map(asFloat),
                                     gradF2: gradF2.map(asFloat), asFloat(scratch), shape)
            }
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
                            let x = columns(dx, w)
                            addProducts(ga + x.lowerBound, g + x.lowerBound, s + x.lowerBound + dx, count: x.count)
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
                            let x1 = columns(dx, w)
                            addProducts(gb + x1.lowerBound + dx, g + x1.lowerBound, a + x1.lowerBound, count: x1.count)
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
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension Correlation {
    /// A half-precision forward: the float32 tiles read and write E themselves (no copies of
    /// whole tensors); the shapes they do not serve run on float32 copies. Bit for bit the
    /// float32 forward of the widened images, rounded.
    static func forwardHalf<E: FloatLanes>(_ a: CorrelationForwardArguments, _: E.Type) throws(VTError) {
        let shape = try shape(b: a.b, c: a.c, h: a.h, w: a.w, patchSize: a.patchSize, dilationPatch: a.dilationPatch,
                              elementSize: MemoryLayout<Float>.stride, reachable: true)
        try forwardHalf(a.f1, a.f2, a.out, shape, E.self)
    }

    /// The half-precision forward on checked tensors (spatial correlation sampling's fast case too).
    static func forwardHalf<E: FloatLanes>(_ f1: Tensor, _ f2: Tensor, _ out: Tensor, _ shape: Shape,
                                           _: E.Type) throws(VTError) {
        guard shape.outputCount > 0 else { return }
        guard shape.tiled, shape.reachable.patch == shape.patch else {
            return try HalfPrecision.withFloat32Copies([f1, f2, out], outputs: [false, false, true],
                                                       inputs: [true, true, false]) { (copies) throws(VTError) in
                try forwardReachable(copies[0].pointer(Float.self), copies[1].pointer(), copies[2].mutablePointer(), shape)
            }
        }
        try withScratch(scratchCount(shape, of: Float.self), of: Float.self) { scratch in
            if shape.wide {
                WideTiles.forward(f1.pointer(E.self), f2.pointer(E.self), out.mutablePointer(E.self), scratch, shape)
            } else {
                NarrowTiles.forward(f1.pointer(E.self), f2.pointer(E.self), out.mutablePointer(E.self), scratch, shape)
            }
        }
    }

    static func forward<T: KernelScalar>(_ a: CorrelationForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, c: a.c, h: a.h, w: a.w, patchSize: a.patchSize, dilationPatch: a.dilationPatch,
                              elementSize: MemoryLayout<T>.stride, reachable: true)
        guard shape.outputCount > 0 else { return }
        try forwardReachable(a.f1.pointer(T.self), a.f2.pointer(), a.out.mutablePointer(), shape)
    }

    /// The forward over the displacements that reach the image, zeros for the others.
    static func forwardReachable<T: KernelScalar>(_ f1: UnsafePointer<T>, _ f2: UnsafePointer<T>,
                                                  _ out: UnsafeMutablePointer<T>, _ shape: Shape) throws(VTError) {
        let inner = shape.reachable
        guard inner.patch < shape.patch else { return try forward(f1, f2, out, inner) }
        // Displacements past the image: the reachable patch's planes, zeros around them.
        try withScratch(inner.outputCount, of: T.self) { (planes) throws(VTError) in
            try forward(f1, f2, planes, inner)
            out.update(repeating: 0, count: shape.outputCount)
            forEachReachablePlane(shape, inner) { outer, reachable in
                (out + outer).update(from: planes + reachable, count: shape.plane)
            }
        }
    }

    static func backward<T: KernelScalar>(_ a: CorrelationBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, c: a.c, h: a.h, w: a.w, patchSize: a.patchSize, dilationPatch: a.dilationPatch,
                              elementSize: MemoryLayout<T>.stride, reachable: true)
        guard shape.featureCount > 0 else { return }
        try backwardReachable(a.grad.pointer(T.self), a.f1.pointer(), a.f2.pointer(), gradF1: a.gradF1?.mutablePointer(),
                              gradF2: a.gradF2?.mutablePointer(), shape)
    }

    /// The backward reading only the displacements that reach the image.
    static func backwardReachable<T: KernelScalar>(_ grad: UnsafePointer<T>, _ f1: UnsafePointer<T>,
                                                   _ f2: UnsafePointer<T>, gradF1: UnsafeMutablePointer<T>?,
                                                   gradF2: UnsafeMutablePointer<T>?, _ shape: Shape) throws(VTError) {
        let inner = shape.reachable
        guard inner.patch < shape.patch else {
            return try backward(grad, f1, f2, gradF1: gradF1, gradF2: gradF2, inner)
        }
        // Only the displacements that reach the image read the features.
        try withScratch(inner.outputCount, of: T.self) { (planes) throws(VTError) in
            forEachReachablePlane(shape, inner) { outer, reachable in
                (planes + reachable).update(from: grad + outer, count: shape.plane)
            }
            try backward(planes, f1, f2, gradF1: gradF1, gradF2: gradF2, inner)
        }
    }

    /// body(offset in the full output, offset in the reachable one) for every plane (b, i, j) of
    /// the reachable patch.
    private static func forEachReachablePlane(_ shape: Shape, _ inner: Shape, _ body: (Int, Int) -> Void) {
        let (p, q, margin) = (shape.patch, inner.patch, shape.half - inner.half)
        for b in 0..<shape.batch {
            for i in 0..<q {
                for j in 0..<q {
                    body(((b * p + i + margin) * p + j + margin) * shape.plane, ((b * q + i) * q + j) * shape.plane)
                }
            }
        }
    }
}
