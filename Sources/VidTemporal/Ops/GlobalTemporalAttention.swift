/// Global temporal attention (GTA), cross-channel multi-head mixing over time:
///
///     y[n,t, k*Cg + c, s] = Σ_g Σ_τ attn[k, g, t, τ] * v[n,τ, g*Cg + c, s]
///
/// For one clip, v viewed as a (T*G) x (Cg*S) matrix with rows (τ, g) is mixed by the
/// (T*G) x (T*G) matrix A[(t,k), (τ,g)] = attn[k,g,t,τ]: y_n = A v_n, one GEMM per clip, split
/// into column blocks. The backward is v-gradient A^T dy_n and attn-gradient Σ_n dy_n v_n^T.
enum GlobalTemporalAttention {
    struct Shape: Sendable {
        let clips: Int
        let segments: Int
        let channels: Int
        let positions: Int
        let groups: Int
        let count: Int

        /// T * G: the rows of one clip's matrix.
        var rows: Int { segments * groups }
        /// Cg * S: its columns.
        var columns: Int { channels / groups * positions }
        var attnCount: Int { rows * rows }
    }

    /// Columns per GEMM task. Fixed, so the work layout (and every rounding) is the same for any
    /// thread count.
    static let columnsPerTask = 4096
    /// Column tasks are summed into this many partial attn-gradients, in a fixed order (fewer when
    /// they would take more than `partialBytes`; both depend on the shape only).
    static let partialSums = 32
    static let partialBytes = 64 << 20

    /// The layout of a call on v (N*T, C, S) and attn (G, G, T, T) (already checked against the
    /// op table), and the op's own rules: G divides C, and the GEMM sizes fit BLAS.
    static func shape(_ v: Tensor, clips: Int, segments: Int, groups: Int) throws(VTError) -> Shape {
        let channels = v.dim(1)
        guard groups >= 1 else { throw .invalidArgument("G=0 (attn.shape[0]): there must be at least one group", argument: "attn") }
        guard channels % groups == 0 else {
            throw .shapeMismatch("v.shape[1]=\(channels) is not divisible by G=attn.shape[0]=\(groups)", argument: "v")
        }
        let shape = Shape(clips: clips, segments: segments, channels: channels, positions: v.dim(2), groups: groups,
                          count: v.count)
        guard shape.count > 0 else { return shape }   // no work: no GEMM
        try requireBLASSize(shape.rows, "num_segments * attn.shape[0] (T * G)", argument: "attn")
        try requireBLASSize(shape.columns, "v.shape[1] / attn.shape[0] * v.shape[2] (C / G * S)", argument: "v")
        return shape
    }

    /// Calls body(attn index, A index) for every entry: A[(t,k), (τ,g)] = attn[k,g,t,τ].
    static func forEachEntry(_ shape: Shape, _ body: (Int, Int) -> Void) {
        let (t, g) = (shape.segments, shape.groups)
        for k in 0..<g {
            for h in 0..<g {
                for tOut in 0..<t {
                    for tIn in 0..<t { body(((k * g + h) * t + tOut) * t + tIn, (tOut * g + k) * shape.rows + tIn * g + h) }
                }
            }
        }
    }

    /// Runs body with the (T*G) x (T*G) matrix that mixes one clip, in scratch memory.
    static func withMixingMatrix<T: KernelScalar>(_ attn: UnsafePointer<T>, _ shape: Shape,
                                                  _ body: (UnsafePointer<T>) -> Void) throws(VTError) {
        try withScratch(shape.attnCount, of: T.self) { matrix in
            forEachEntry(shape) { attnIndex, index in matrix[index] = attn[attnIndex] }
            body(matrix)
        }
    }

    /// Runs body(clip, first column, width) for every column block of every clip, in parallel.
    private static func forEachBlock<T: KernelScalar>(_ shape: Shape, _: T.Type,
                                                      _ body: @Sendable (Int, Int, Int) -> Void) {
        let blocks = (shape.columns + columnsPerTask - 1) / columnsPerTask
        parallelFor(shape.clips * blocks, bytesPerItem: shape.rows * columnsPerTask * MemoryLayout<T>.stride) { tasks in
            for task in tasks {
                let (clip, block) = task.quotientAndRemainder(dividingBy: blocks)
                let first = block * columnsPerTask
                body(clip, first, min(columnsPerTask, shape.columns - first))
            }
        }
    }

    static func forward<T: KernelScalar>(_ v: UnsafePointer<T>, _ attn: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                         _ shape: Shape) throws(VTError) {
        try withMixingMatrix(attn, shape) { a in
            adviseHugePages(y, bytes: shape.count * MemoryLayout<T>.stride)
            let pointers = UnsafeTransfer((v, y, a))
            forEachBlock(shape, T.self) { clip, first, width in
                let (v, y, a) = pointers.value
                let offset = clip * shape.rows * shape.columns + first
                BLAS.gemm(m: shape.rows, n: width, k: shape.rows, a, lda: shape.rows, v + offset, ldb: shape.columns,
                          y + offset, ldc: shape.columns)
            }
        }
    }

    /// Gradients of v and attn; a nil output is not computed.
    static func backward<T: KernelScalar>(_ gradY: UnsafePointer<T>, _ v: UnsafePointer<T>, _ attn: UnsafePointer<T>,
                                          gradV: UnsafeMutablePointer<T>?, gradAttn: UnsafeMutablePointer<T>?,
                                          _ shape: Shape) throws(VTError) {
        // Both scratches are allocated before a gradient is written.
        try withScratch(gradAttn == nil ? 0 : partialCount(shape), of: T.self) { (partials) throws(VTError) in
            if let gradV {
                try withMixingMatrix(attn, shape) { a in
                    adviseHugePages(gradV, bytes: shape.count * MemoryLayout<T>.stride)
                    let pointers = UnsafeTransfer((gradY, gradV, a))
                    forEachBlock(shape, T.self) { clip, first, width in
                        let (gradY, gradV, a) = pointers.value
                        let offset = clip * shape.rows * shape.columns + first
                        BLAS.gemm(transposeA: true, m: shape.rows, n: width, k: shape.rows, a,
                                  lda: shape.rows, gradY + offset, ldb: shape.columns, gradV + offset, ldc: shape.columns)
                    }
                }
            }
            if let gradAttn { attnGradient(gradY, v, gradAttn, partials: partials, shape) }
        }
    }

    /// The partial attn-gradients' bins, and the elements they take.
    private static func partialBins(_ shape: Shape) -> Int {
        let tasks = shape.clips * ((shape.columns + columnsPerTask - 1) / columnsPerTask)
        return max(1, min(partialSums, tasks, partialBytes / 8 / max(1, shape.attnCount)))
    }

    private static func partialCount(_ shape: Shape) -> Int { partialBins(shape) * shape.attnCount }

    /// dA = Σ over clips and column blocks of dy_block v_block^T. Blocks are dealt in order into
    /// `partialSums` bins (each summed in order by GEMMs with beta = 1), and the bins are added in
    /// order in Double: the same arithmetic for any thread count.
    private static func attnGradient<T: KernelScalar>(_ gradY: UnsafePointer<T>, _ v: UnsafePointer<T>,
                                                      _ gradAttn: UnsafeMutablePointer<T>,
                                                      partials: UnsafeMutablePointer<T>, _ shape: Shape) {
        let blocks = (shape.columns + columnsPerTask - 1) / columnsPerTask
        let tasks = shape.clips * blocks
        let (bins, size) = (partialBins(shape), shape.attnCount)
        partials.update(repeating: 0, count: bins * size)
        let pointers = UnsafeTransfer((gradY, v, partials))
        parallelFor(bins, bytesPerItem: tasks / bins * shape.rows * columnsPerTask * MemoryLayout<T>.stride) { range in
            let (gradY, v, partials) = pointers.value
            for bin in range {
                for task in (tasks * bin / bins)..<(tasks * (bin + 1) / bins) {
                    let (clip, block) = task.quotientAndRemainder(dividingBy: blocks)
                    let first = block * columnsPerTask
                    let offset = clip * shape.rows * shape.columns + first
                    BLAS.gemm(transposeB: true, m: shape.rows, n: shape.rows,
                              k: min(columnsPerTask, shape.columns - first), gradY + offset, lda: shape.columns,
                              v + offset, ldb: shape.columns, beta: 1, partials + bin * size, ldc: shape.rows)
                }
            }
        }
        forEachEntry(shape) { attnIndex, index in
            var sum = 0.0
            for bin in 0..<bins { sum += Double(partials[bin * size + index]) }
            gradAttn[attnIndex] = T(sum)
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension GlobalTemporalAttention {
    static func forward<T: KernelScalar>(_ a: GlobalTemporalAttentionForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(a.v, clips: a.n, segments: a.t, groups: a.g)
        guard shape.count > 0 else { return }
        try forward(a.v.pointer(T.self), a.attn.pointer(), a.y.mutablePointer(), shape)
    }

    static func backward<T: KernelScalar>(_ a: GlobalTemporalAttentionBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(a.v, clips: a.n, segments: a.t, groups: a.g)
        let gradAttn = a.gradAttn?.mutablePointer(T.self)
        guard shape.count > 0 else {
            gradAttn?.update(repeating: 0, count: shape.attnCount)  // an empty sum
            return
        }
        try backward(a.grad.pointer(T.self), a.v.pointer(), a.attn.pointer(), gradV: a.gradV?.mutablePointer(),
                     gradAttn: gradAttn, shape)
    }
}

// MARK: float16 and bfloat16: each column block widened into task scratch, mixed in float32 by
// the same GEMMs as a float32 call, rounded back. Bit for bit the float32 call on the widened
// values, without float32 copies of whole tensors (which would triple the memory traffic).

extension GlobalTemporalAttention {
    /// Float32 elements each task holds: an input and an output block.
    private static func halfScratch(_ shape: Shape) -> Int { 2 * shape.rows * columnsPerTask }

    /// Runs body(clip, first column, width, task scratch) for every column block, in parallel.
    private static func forEachHalfBlock(_ shape: Shape, _ scratch: UnsafeMutablePointer<Float>, tasks: Int,
                                         _ body: @Sendable (Int, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let blocks = (shape.columns + columnsPerTask - 1) / columnsPerTask
        let buffers = UnsafeTransfer(scratch)
        parallelTasks(shape.clips * blocks, bytesPerItem: shape.rows * columnsPerTask * 4, maxTasks: tasks) {
            task, range in
            for item in range {
                let (clip, block) = item.quotientAndRemainder(dividingBy: blocks)
                let first = block * columnsPerTask
                body(clip, first, min(columnsPerTask, shape.columns - first), buffers.value + task * halfScratch(shape))
            }
        }
    }

    /// Rows x width of the half-precision clip matrix at `base` (row stride `columns`), widened.
    private static func widenBlock(_ base: UnsafeRawPointer, clip: Int, first: Int, width: Int, bfloat: Bool,
                                   _ shape: Shape, into block: UnsafeMutablePointer<Float>) {
        for row in 0..<shape.rows {
            HalfPrecision.widen(base + ((clip * shape.rows + row) * shape.columns + first) * 2, bfloat: bfloat,
                                count: width, into: block + row * width)
        }
    }

    private static func narrowBlock(_ block: UnsafePointer<Float>, clip: Int, first: Int, width: Int, bfloat: Bool,
                                    _ shape: Shape, into base: UnsafeMutableRawPointer) {
        for row in 0..<shape.rows {
            HalfPrecision.narrow(block + row * width, count: width,
                                 into: base + ((clip * shape.rows + row) * shape.columns + first) * 2, bfloat: bfloat)
        }
    }

    /// y = A v (or dv = A^T dy when `transpose`) block by block.
    private static func mixHalf(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, attn: UnsafeRawPointer,
                                transpose: Bool, bfloat: Bool, _ shape: Shape) throws(VTError) {
        let tasks = min(Threads.count, shape.clips * ((shape.columns + columnsPerTask - 1) / columnsPerTask))
        try withScratch(shape.attnCount + tasks * halfScratch(shape), of: Float.self) { (scratch) throws(VTError) in
            HalfPrecision.widen(attn, bfloat: bfloat, count: shape.attnCount, into: scratch)
            try withMixingMatrix(UnsafePointer(scratch), shape) { a in
                adviseHugePages(output, bytes: shape.count * 2)
                let pointers = UnsafeTransfer((input, output, a))
                forEachHalfBlock(shape, scratch + shape.attnCount, tasks: tasks) { clip, first, width, buffer in
                    let (input, output, a) = pointers.value
                    let (source, result) = (buffer, buffer + shape.rows * columnsPerTask)
                    widenBlock(input, clip: clip, first: first, width: width, bfloat: bfloat, shape, into: source)
                    BLAS.gemm(transposeA: transpose, m: shape.rows, n: width, k: shape.rows, a, lda: shape.rows,
                              UnsafePointer(source), ldb: width, result, ldc: width)
                    narrowBlock(result, clip: clip, first: first, width: width, bfloat: bfloat, shape, into: output)
                }
            }
        }
    }

    static func forwardHalf<E: FloatLanes>(_ a: GlobalTemporalAttentionForwardArguments, _: E.Type) throws(VTError) {
        let shape = try shape(a.v, clips: a.n, segments: a.t, groups: a.g)
        guard shape.count > 0 else { return }
        try mixHalf(a.v.address, a.y.address, attn: a.attn.address, transpose: false, bfloat: a.dtype == .bfloat16,
                    shape)
    }

    static func backwardHalf<E: FloatLanes>(_ a: GlobalTemporalAttentionBackwardArguments, _: E.Type) throws(VTError) {
        let shape = try shape(a.v, clips: a.n, segments: a.t, groups: a.g)
        let bfloat = a.dtype == .bfloat16
        guard shape.count > 0 else {
            a.gradAttn?.mutablePointer(UInt16.self).update(repeating: 0, count: shape.attnCount)  // an empty sum
            return
        }
        // The attn-gradient's partial bins first: nothing is written before every scratch is had.
        let bins = partialBins(shape)
        let tasks = min(Threads.count, bins)
        try withScratch(a.gradAttn == nil ? 0 : bins * shape.attnCount + tasks * halfScratch(shape), of: Float.self) {
            (scratch) throws(VTError) in
            if let gradV = a.gradV {
                try mixHalf(a.grad.address, gradV.address, attn: a.attn.address, transpose: true, bfloat: bfloat, shape)
            }
            guard let gradAttn = a.gradAttn else { return }
            attnGradientHalf(a.grad.address, a.v.address, gradAttn.address, bfloat: bfloat, partials: scratch,
                             blockScratch: scratch + bins * shape.attnCount, tasks: tasks, shape)
        }
    }

    /// `attnGradient` on widened blocks: the same bins, GEMMs and Double sum of the bins.
    private static func attnGradientHalf(_ gradY: UnsafeRawPointer, _ v: UnsafeRawPointer,
                                         _ gradAttn: UnsafeMutableRawPointer, bfloat: Bool,
                                         partials: UnsafeMutablePointer<Float>, blockScratch: UnsafeMutablePointer<Float>,
                                         tasks: Int, _ shape: Shape) {
        let blocks = (shape.columns + columnsPerTask - 1) / columnsPerTask
        let items = shape.clips * blocks
        let (bins, size) = (partialBins(shape), shape.attnCount)
        partials.update(repeating: 0, count: bins * size)
        let pointers = UnsafeTransfer((gradY, v, partials, blockScratch))
        parallelTasks(bins, bytesPerItem: items / bins * shape.rows * columnsPerTask * 4, maxTasks: tasks) {
            task, range in
            let (gradY, v, partials, blockScratch) = pointers.value
            let (dy, x) = (blockScratch + task * halfScratch(shape), blockScratch + task * halfScratch(shape)
                           + shape.rows * columnsPerTask)
            for bin in range {
                for item in (items * bin / bins)..<(items * (bin + 1) / bins) {
                    let (clip, block) = item.quotientAndRemainder(dividingBy: blocks)
                    let first = block * columnsPerTask
                    let width = min(columnsPerTask, shape.columns - first)
                    widenBlock(gradY, clip: clip, first: first, width: width, bfloat: bfloat, shape, into: dy)
                    widenBlock(v, clip: clip, first: first, width: width, bfloat: bfloat, shape, into: x)
                    BLAS.gemm(transposeB: true, m: shape.rows, n: shape.rows, k: width, UnsafePointer(dy), lda: width,
                              UnsafePointer(x), ldb: width, beta: 1, partials + bin * size, ldc: shape.rows)
                }
            }
        }
        forEachEntry(shape) { attnIndex, index in
            var sum = 0.0
            for bin in 0..<bins { sum += Double(partials[bin * size + index]) }
            var single = Float(sum)
            HalfPrecision.narrow(&single, count: 1, into: gradAttn + attnIndex * 2, bfloat: bfloat)
        }
    }
}
