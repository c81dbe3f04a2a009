#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax attention over the positions of each frame (the decoupled spatial self-attention
/// before GTA):
///
///     y[b, :, i] = Σ_j softmax_j(q[b,:,i] · k[b,:,j] / sqrt(d)) v[b, :, j]
///
/// with q, k (B, d, S) and v (B, dv, S). Frames run in parallel; within a frame, query rows are
/// processed in blocks of `rowsPerBlock(shape)` rows, so a task holds two rows x S buffers (the
/// whole S x S matrix only while it is small). The forward can save each row's log-sum-exp so the backward recomputes the
/// probabilities with one GEMM and one exp instead of a second softmax.
enum SpatialAttention {
    struct Shape: Sendable {
        let frames: Int
        let keyDim: Int
        let valueDim: Int
        let positions: Int

        var queryCount: Int { frames * keyDim * positions }
        var valueCount: Int { frames * valueDim * positions }
        var lseCount: Int { frames * positions }
    }

    /// Query rows per block: a whole frame while S <= 256 (each of the task's two S x S buffers at
    /// most 256 KiB in float32: one GEMM per product and frame, as large as the frame allows),
    /// else 64.
    static func rowsPerBlock(_ shape: Shape) -> Int { shape.positions <= 256 ? shape.positions : 64 }

    /// The dims of a call (already checked against the op table); once there is work, the GEMM
    /// sizes must fit BLAS.
    static func shape(b: Int, d: Int, dv: Int, s: Int) throws(VTError) -> Shape {
        let shape = Shape(frames: b, keyDim: d, valueDim: dv, positions: s)
        guard shape.lseCount > 0 else { return shape }
        try requireBLASSize(d, "q.shape[1] (d)", argument: "q")
        try requireBLASSize(dv, "v.shape[1] (dv)", argument: "v")
        try requireBLASSize(s, "q.shape[2] (S)", argument: "q")
        return shape
    }

    private static func scale<T: KernelScalar>(_ shape: Shape) -> T { 1 / T(shape.keyDim).squareRoot() }

    /// Runs body(frame, probabilities, gradient scores, frame scratch) for every frame, frames in
    /// parallel. Each task gets two rowsPerBlock x S buffers and `frameScratch` more elements,
    /// all allocated before any output is written, so a failed allocation is an error status
    /// rather than a trap.
    private static func forEachFrame<T: KernelScalar>(
        _ shape: Shape, _: T.Type, frameScratch: Int = 0,
        _ body: @Sendable (Int, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>) -> Void
    ) throws(VTError) {
        let tasks = max(1, min(Threads.count, shape.frames))
        let (block, blockOverflow) = min(rowsPerBlock(shape), shape.positions).multipliedReportingOverflow(by: shape.positions)
        let (perTask, perTaskOverflow) = (2 * block).addingReportingOverflow(frameScratch)
        let (elements, overflow) = tasks.multipliedReportingOverflow(by: perTask)
        let (bytes, bytesOverflow) = elements.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !blockOverflow, !perTaskOverflow, !overflow, !bytesOverflow, let scratch = malloc(max(1, bytes)) else {
            throw .allocation("cannot allocate \(tasks) x (2 row blocks of \(block) + \(frameScratch)) elements")
        }
        defer { free(scratch) }
        let buffers = UnsafeTransfer(scratch.bindMemory(to: T.self, capacity: elements))
        // Each frame does S x S work: always worth a task.
        parallelTasks(shape.frames, bytesPerItem: Int.max, maxTasks: tasks) { task, frames in
            let probabilities = buffers.value + task * perTask
            for frame in frames { body(frame, probabilities, probabilities + block, probabilities + 2 * block) }
        }
    }

    /// scores[i, j] = scale * q[:, first + i] · k[:, j] for the rows of one block.
    private static func scores<T: KernelScalar>(_ q: UnsafePointer<T>, _ k: UnsafePointer<T>, first: Int, rows: Int,
                                                into scores: UnsafeMutablePointer<T>, _ shape: Shape) {
        let s = shape.positions
        BLAS.gemm(transposeA: true, m: rows, n: s, k: shape.keyDim, alpha: scale(shape), q + first, lda: s, k, ldb: s,
                  scores, ldc: s)
    }

    static func forward<T: KernelScalar>(_ q: UnsafePointer<T>, _ k: UnsafePointer<T>, _ v: UnsafePointer<T>,
                                         _ y: UnsafeMutablePointer<T>, lse: UnsafeMutablePointer<T>?,
                                         _ shape: Shape) throws(VTError) {
        let pointers = UnsafeTransfer((q, k, v, y, lse))
        let (s, d, dv) = (shape.positions, shape.keyDim, shape.valueDim)
        try forEachFrame(shape, T.self) { frame, probabilities, _, _ in
            let (q, k, v, y, lse) = pointers.value
            forwardFrame(q + frame * d * s, k + frame * d * s, v + frame * dv * s, y + frame * dv * s,
                         lse: lse.map { $0 + frame * s }, probabilities, shape)
        }
    }

    /// One frame's forward: q, k (d, S), v and y (dv, S), lse (S).
    private static func forwardFrame<T: KernelScalar>(_ qb: UnsafePointer<T>, _ kb: UnsafePointer<T>, _ vb: UnsafePointer<T>,
                                                      _ yb: UnsafeMutablePointer<T>, lse: UnsafeMutablePointer<T>?,
                                                      _ probabilities: UnsafeMutablePointer<T>, _ shape: Shape) {
        let s = shape.positions
        for first in stride(from: 0, to: s, by: rowsPerBlock(shape)) {
            let rows = min(rowsPerBlock(shape), s - first)
            scores(qb, kb, first: first, rows: rows, into: probabilities, shape)
            for i in 0..<rows {
                let row = probabilities + i * s
                let logSumExp = softmaxInPlace(row, count: s)
                lse?[first + i] = logSumExp
            }
            // y[:, first ..< first + rows] = v P^T
            BLAS.gemm(transposeB: true, m: shape.valueDim, n: rows, k: s, vb, lda: s, probabilities, ldb: s, yb + first,
                      ldc: s)
        }
    }

    /// Replaces row by softmax(row), shifting by its maximum, or by `shift` when given (the
    /// forward's log-sum-exp: this skips the max pass; the row is still normalised by its own sum,
    /// so a rounded shift costs no accuracy). Returns the log-sum-exp; a row with a NaN or
    /// infinite logit becomes NaN.
    @discardableResult
    private static func softmaxInPlace<T: KernelScalar>(_ row: UnsafeMutablePointer<T>, count: Int,
                                                        shift: T? = nil) -> T {
        let top = shift ?? maximum(row, count: count)
        guard top.isFinite else {
            row.update(repeating: .nan, count: count)
            return .nan
        }
        let sum = exponentiate(row, minus: top, into: row, count: count)
        guard sum.isFinite, sum > 0 else {
            // Only a shift that is not this row's log-sum-exp gets here (it over- or underflowed).
            row.update(repeating: .nan, count: count)
            return .nan
        }
        let inverse = T(1 / sum)
        for j in 0..<count { row[j] *= inverse }
        return top + T(log(sum))
    }

    /// Gradients of q, k and v (a nil output is not computed). `lse` is the forward's, or nil to
    /// recompute the softmax.
    static func backward<T: KernelScalar>(_ gradY: UnsafePointer<T>, _ q: UnsafePointer<T>, _ k: UnsafePointer<T>,
                                          _ v: UnsafePointer<T>, lse: UnsafePointer<T>?,
                                          gradQ: UnsafeMutablePointer<T>?, gradK: UnsafeMutablePointer<T>?,
                                          gradV: UnsafeMutablePointer<T>?, _ shape: Shape) throws(VTError) {
        let pointers = UnsafeTransfer((gradY, q, k, v, lse, gradQ, gradK, gradV))
        let (s, d, dv) = (shape.positions, shape.keyDim, shape.valueDim)
        try forEachFrame(shape, T.self) { frame, probabilities, gradScores, _ in
            let (gradY, q, k, v, lse, gradQ, gradK, gradV) = pointers.value
            backwardFrame(gradY + frame * dv * s, q + frame * d * s, k + frame * d * s, v + frame * dv * s,
                          lse: lse.map { $0 + frame * s }, gradQ: gradQ.map { $0 + frame * d * s },
                          gradK: gradK.map { $0 + frame * d * s }, gradV: gradV.map { $0 + frame * dv * s },
                          probabilities, gradScores, shape)
        }
    }

    /// One frame's gradients: grad_y, v, grad_v (dv, S); q, k, grad_q, grad_k (d, S); lse (S).
    private static func backwardFrame<T: KernelScalar>(
        _ gyb: UnsafePointer<T>, _ qb: UnsafePointer<T>, _ kb: UnsafePointer<T>, _ vb: UnsafePointer<T>,
        lse: UnsafePointer<T>?, gradQ: UnsafeMutablePointer<T>?, gradK: UnsafeMutablePointer<T>?,
        gradV: UnsafeMutablePointer<T>?, _ probabilities: UnsafeMutablePointer<T>,
        _ gradScores: UnsafeMutablePointer<T>, _ shape: Shape
    ) {
        let (s, d, dv) = (shape.positions, shape.keyDim, shape.valueDim)
        let alpha: T = scale(shape)
        for first in stride(from: 0, to: s, by: rowsPerBlock(shape)) {
            let rows = min(rowsPerBlock(shape), s - first)
            let accumulate: T = first == 0 ? 0 : 1
            scores(qb, kb, first: first, rows: rows, into: probabilities, shape)
            for i in 0..<rows {
                softmaxInPlace(probabilities + i * s, count: s, shift: lse?[first + i])
            }
            // grad_v += grad_y[:, rows] P
            if let gradV {
                BLAS.gemm(m: dv, n: s, k: rows, gyb + first, lda: s, probabilities, ldb: s, beta: accumulate,
                          gradV, ldc: s)
            }
            guard gradQ != nil || gradK != nil else { continue }
            // dP = grad_y[:, rows]^T v; dScores = P * (dP - rowsum(P * dP))
            BLAS.gemm(transposeA: true, m: rows, n: s, k: dv, gyb + first, lda: s, vb, ldb: s, gradScores, ldc: s)
            for i in 0..<rows {
                let (p, g) = (probabilities + i * s, gradScores + i * s)
                let centre = T(dotProduct(UnsafePointer(p), UnsafePointer(g), count: s))
                for j in 0..<s { g[j] = p[j] * (g[j] - centre) }
            }
            // grad_q[:, rows] = scale * k dScores^T; grad_k += scale * q[:, rows] dScores
            if let gradQ {
                BLAS.gemm(transposeB: true, m: d, n: rows, k: s, alpha: alpha, kb, lda: s, gradScores, ldb: s,
                          gradQ + first, ldc: s)
            }
            if let gradK {
                BLAS.gemm(m: d, n: s, k: rows, alpha: alpha, qb + first, lda: s, gradScores, ldb: s, beta: accumulate,
                          gradK, ldc: s)
            }
        }
    }

    /// The forward of a float16 or bfloat16 call, frame by frame: each frame's inputs widened into
    /// task scratch, the float32 frame forward, its outputs rounded back. Bit for bit the float32
    /// call on the widened tensors, without float32 copies of whole tensors.
    static func forwardHalf(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ y: Tensor, lse: Tensor?,
                            _ shape: Shape) throws(VTError) {
        let (s, d, dv) = (shape.positions, shape.keyDim, shape.valueDim)
        let bfloat = q.dtype == .bfloat16
        let pointers = UnsafeTransfer((q.address, k.address, v.address, y.address, lse?.address))
        try forEachFrame(shape, Float.self, frameScratch: (2 * d + 2 * dv + 1) * s) { frame, probabilities, _, scratch in
            let (q, k, v, y, lse) = pointers.value
            let (qf, kf, vf) = (scratch, scratch + d * s, scratch + 2 * d * s)
            let (yf, lsef) = (vf + dv * s, vf + 2 * dv * s)
            HalfPrecision.widen(q + 2 * frame * d * s, bfloat: bfloat, count: d * s, into: qf)
            HalfPrecision.widen(k + 2 * frame * d * s, bfloat: bfloat, count: d * s, into: kf)
            HalfPrecision.widen(v + 2 * frame * dv * s, bfloat: bfloat, count: dv * s, into: vf)
            forwardFrame(qf, kf, vf, yf, lse: lse == nil ? nil : lsef, probabilities, shape)
            HalfPrecision.narrow(yf, count: dv * s, into: y + 2 * frame * dv * s, bfloat: bfloat)
            if let lse { HalfPrecision.narrow(lsef, count: s, into: lse + 2 * frame * s, bfloat: bfloat) }
        }
    }

    /// The backward of a float16 or bfloat16 call, frame by frame (as forwardHalf).
    static func backwardHalf(_ gradY: Tensor, _ q: Tensor, _ k: Tensor, _ v: Tensor, lse: Tensor?, gradQ: Tensor?,
                             gradK: Tensor?, gradV: Tensor?, _ shape: Shape) throws(VTError) {
        let (s, d, dv) = (shape.positions, shape.keyDim, shape.valueDim)
        let bfloat = q.dtype == .bfloat16
        let inputs = UnsafeTransfer((gradY.address, q.address, k.address, v.address, lse?.address))
        let outputs = UnsafeTransfer((gradQ?.address, gradK?.address, gradV?.address))
        try forEachFrame(shape, Float.self, frameScratch: (4 * d + 3 * dv + 1) * s) { frame, probabilities, gradScores, scratch in
            let (gradY, q, k, v, lse) = inputs.value
            let (gradQ, gradK, gradV) = outputs.value
            let (gyf, qf, kf, vf) = (scratch, scratch + dv * s, scratch + (dv + d) * s, scratch + (dv + 2 * d) * s)
            let (gqf, gkf, gvf, lsef) = (vf + dv * s, vf + (dv + d) * s, vf + (dv + 2 * d) * s, vf + (2 * dv + 2 * d) * s)
            HalfPrecision.widen(gradY + 2 * frame * dv * s, bfloat: bfloat, count: dv * s, into: gyf)
            HalfPrecision.widen(q + 2 * frame * d * s, bfloat: bfloat, count: d * s, into: qf)
            HalfPrecision.widen(k + 2 * frame * d * s, bfloat: bfloat, count: d * s, into: kf)
            HalfPrecision.widen(v + 2 * frame * dv * s, bfloat: bfloat, count: dv * s, into: vf)
            if let lse { HalfPrecision.widen(lse + 2 * frame * s, bfloat: bfloat, count: s, into: lsef) }
            backwardFrame(gyf, qf, kf, vf, lse: lse == nil ? nil : lsef, gradQ: gradQ == nil ? nil : gqf,
                          gradK: gradK == nil ? nil : gkf, gradV: gradV == nil ? nil : gvf, probabilities, gradScores, shape)
            if let gradQ { HalfPrecision.narrow(gqf, count: d * s, into: gradQ + 2 * frame * d * s, bfloat: bfloat) }
            if let gradK { HalfPrecision.narrow(gkf, count: d * s, into: gradK + 2 * frame * d * s, bfloat: bfloat) }
            if let gradV { HalfPrecision.narrow(gvf, count: dv * s, into: gradV + 2 * frame * dv * s, bfloat: bfloat) }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension SpatialAttention {
    static func forwardHalf<E: FloatLanes>(_ a: SpatialAttentionForwardArguments, _: E.Type) throws(VTError) {
        let shape = try shape(b: a.b, d: a.d, dv: a.dv, s: a.s)
        guard shape.lseCount > 0 else { return }
        try forwardHalf(a.q, a.k, a.v, a.y, lse: a.lse, shape)
    }

    static func backwardHalf<E: FloatLanes>(_ a: SpatialAttentionBackwardArguments, _: E.Type) throws(VTError) {
        let shape = try shape(b: a.b, d: a.d, dv: a.dv, s: a.s)
        guard shape.lseCount > 0 else { return }
        try backwardHalf(a.grad, a.q, a.k, a.v, lse: a.lse, gradQ: a.gradQ, gradK: a.gradK, gradV: a.gradV, shape)
    }

    static func forward<T: KernelScalar>(_ a: SpatialAttentionForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, d: a.d, dv: a.dv, s: a.s)
        guard shape.lseCount > 0 else { return }  // no frames or no positions: nothing to write
        try forward(a.q.pointer(T.self), a.k.pointer(), a.v.pointer(), a.y.mutablePointer(),
                    lse: a.lse?.mutablePointer(), shape)
    }

    static func backward<T: KernelScalar>(_ a: SpatialAttentionBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(b: a.b, d: a.d, dv: a.dv, s: a.s)
        guard shape.lseCount > 0 else { return }  // no frames or no positions: nothing to write
        try backward(a.grad.pointer(T.self), a.q.pointer(), a.k.pointer(), a.v.pointer(), lse: a.lse?.pointer(),
                     gradQ: a.gradQ?.mutablePointer(), gradK: a.gradK?.mutablePointer(),
                     gradV: a.gradV?.mutablePointer(), shape)
    }
}
