#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Dual attention matching (DAM, Wu et al. ICCV 2019; no official code exists, this follows
/// the seminar notes). Per modality m with segment features F (T x D) and event mask R:
///
///     self_att(F) = softmax((F Wq)(F Wk)^T / sqrt(Dk)) (F Wv)   over the segments of R only
///     φ = mean over R of self_att(F) = w^T F Wv,  w_j = (1/|R|) Σ_{i∈R} P_ij   (φ = 0 if R = ∅)
///
/// and the cross-modal event relevance p_a[t] = σ(φ_v · audio[t]), p_v[t] = σ(φ_a · visual[t]),
/// p = (p_a + p_v) / 2. Only the region's segments enter the attention, so they are packed (clip
/// by clip) and projected by one GEMM with the fused weights [Wq | Wk]; the r x r attention of
/// each clip is small and done in loops. The two modalities run in parallel. The forward can save the projections
/// and φ in a workspace, which spares the backward those GEMMs.
enum DualAttentionMatching {
    struct Shape: Sendable {
        let clips: Int
        let segments: Int
        let dim: Int
        let keyDim: Int

        var rows: Int { clips * segments }
        var featureCount: Int { rows * dim }
        var queryWeightCount: Int { dim * keyDim }
        var valueWeightCount: Int { dim * dim }
        var globalCount: Int { clips * dim }
    }

    /// One modality's weights.
    struct Weights<T: KernelScalar> {
        let query: UnsafePointer<T>
        let key: UnsafePointer<T>
        let value: UnsafePointer<T>
    }

    /// The dims of a call (already checked against the op table, or by the workspace count), and
    /// the bounds of every projection, GEMM, scratch and workspace size the kernels form.
    static func shape(n: Int, t: Int, d: Int, dk: Int, elementSize: Int) throws(VTError) -> Shape {
        // Without features (D = 0) every projection is an empty sum, 0, whatever Dk: computing with
        // Dk = 0 gives the same results without scratch sized by Dk.
        let shape = Shape(clips: n, segments: t, dim: d, keyDim: d == 0 ? 0 : dk)
        // Counting zero dims as 1, so no partial product overflows either.
        let (clips, segments, dim, keyDim) = (max(n, 1), max(t, 1), max(d, 1), max(shape.keyDim, 1))
        _ = try checkedCount([[clips, segments, dim, elementSize], [clips, segments, keyDim, 2 * elementSize],
                              [dim, dim, elementSize, 1]], "audio, the projected keys or wv", argument: "audio")
        if shape.rows > 0 {   // no segments: no GEMM
            try requireBLASSize(shape.rows, "audio.shape[0] * audio.shape[1] (n * t)", argument: "audio")
            try requireBLASSize(shape.dim, "audio.shape[2] (d)", argument: "audio")
            try requireBLASSize(shape.keyDim, "wq_a.shape[1] (dk)", argument: "wq_a")
            try requireBLASSize(shape.clips, "audio.shape[0] (n)", argument: "audio")
        }
        let rows = clips * segments  // bounded by the first check
        // Bounds every scratch and workspace size the kernels form below (with room to spare).
        // (Sums of dims as separate terms: no partial sum can overflow.)
        _ = try checkedCount([[rows, dim, 8], [rows, keyDim, 16], [rows, 8, 1], [dim, dim, 8], [dim, keyDim, 16],
                              [clips, dim, 16]], "the scratch for audio's and wq_a's shapes", argument: "audio")
        return shape
    }

    /// Rejects a mask that is not exactly 0 or 1.
    static func requireBinaryMask<T: KernelScalar>(_ mask: UnsafePointer<T>, _ shape: Shape) throws(VTError) {
        for i in 0..<shape.rows where mask[i] != 0 && mask[i] != 1 {
            throw .invalidArgument("mask[\(i / shape.segments), \(i % shape.segments)] = \(mask[i]) is not 0 or 1",
                                   argument: "mask")
        }
    }

    /// Elements of the optional workspace: per modality, the region's projections (at most N*T
    /// rows of 2 Dk), φ (N x D), the pooling weights w (at most N*T) and u = w^T F (N x D).
    static func workspaceCount(_ shape: Shape) -> Int { 2 * modalityWorkspaceCount(shape) }

    private static func modalityWorkspaceCount(_ shape: Shape) -> Int {
        shape.rows * (2 * shape.keyDim + 1) + 2 * shape.globalCount
    }

    /// One modality's attention with its saved parts in the workspace (slot 0 audio, 1 visual).
    private static func attention<T: KernelScalar>(_ scratch: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>,
                                                   slot: Int, _ shape: Shape) -> Attention<T> {
        let projections = workspace + slot * modalityWorkspaceCount(shape)
        let global = projections + shape.rows * 2 * shape.keyDim
        let weights = global + shape.globalCount
        return Attention(scratch, shape, projections: projections, global: global, weights: weights,
                         pooled: weights + shape.rows)
    }

    /// The event regions of all clips, packed: the segments with mask 1, clip by clip. Read-only
    /// once built, so the modalities' tasks share it.
    struct Region: @unchecked Sendable {
        /// The global row (clip * T + t) of each packed row.
        let rows: UnsafeMutablePointer<Int>
        /// Packed rows of clip n: starts[n] ..< starts[n + 1].
        let starts: UnsafeMutablePointer<Int>
        let count: Int
        /// The most rows of one clip.
        let largest: Int

        /// Ints of scratch a region needs: N*T rows at most and N + 1 starts.
        static func scratchCount(_ shape: Shape) -> Int { shape.rows + shape.clips + 1 }

        init<T: KernelScalar>(_ mask: UnsafePointer<T>, _ shape: Shape, memory: UnsafeMutablePointer<Int>) {
            (rows, starts) = (memory, memory + shape.rows)
            var (count, largest) = (0, 0)
            starts[0] = 0
            for clip in 0..<shape.clips {
                for t in 0..<shape.segments where mask[clip * shape.segments + t] == 1 {
                    rows[count] = clip * shape.segments + t
                    count += 1
                }
                starts[clip + 1] = count
                largest = max(largest, count - starts[clip])
            }
            (self.count, self.largest) = (count, largest)
        }

        /// Doubles of scratch for one clip's r x r softmax and r column gradients.
        var softmaxCount: Int { largest * (largest + 1) }
    }

    /// Runs body with the region of `mask`, per modality softmax scratch for the largest clip, and
    /// `count` elements of scratch: all from checked allocations (a failure is VT_ERR_ALLOCATION).
    private static func withRegion<T: KernelScalar>(
        _ mask: UnsafePointer<T>, _ shape: Shape, scratch count: Int,
        _ body: (Region, UnsafeMutablePointer<Double>, UnsafeMutablePointer<T>) -> Void
    ) throws(VTError) {
        try withScratch(Region.scratchCount(shape), of: Int.self) { (memory) throws(VTError) in
            let region = Region(mask, shape, memory: memory)
            try withScratch(2 * region.softmaxCount, of: Double.self) { (softmax) throws(VTError) in
                try withScratch(count, of: T.self) { scratch in body(region, softmax, scratch) }
            }
        }
    }

    /// One modality's attention, in scratch memory.
    struct Attention<T: KernelScalar> {
        /// The region's feature rows, packed (R x D), and the fused weights [Wq | Wk] (D x 2Dk).
        let features: UnsafeMutablePointer<T>
        let fused: UnsafeMutablePointer<T>
        /// [F Wq | F Wk] for the packed rows (R x 2Dk); may live in the caller's workspace.
        let projections: UnsafeMutablePointer<T>
        /// w per packed row: the column means of the region softmax.
        let weights: UnsafeMutablePointer<T>
        /// u = w^T F and φ = u Wv per clip (N x D); φ may be the caller's output.
        let pooled: UnsafeMutablePointer<T>
        let global: UnsafeMutablePointer<T>

        static func count(_ shape: Shape) -> Int {
            shape.rows * (shape.dim + 2 * shape.keyDim + 1) + shape.dim * 2 * shape.keyDim + 2 * shape.globalCount
        }

        init(_ scratch: UnsafeMutablePointer<T>, _ shape: Shape, projections: UnsafeMutablePointer<T>? = nil,
             global: UnsafeMutablePointer<T>? = nil, weights: UnsafeMutablePointer<T>? = nil,
             pooled: UnsafeMutablePointer<T>? = nil) {
            features = scratch
            fused = features + shape.rows * shape.dim
            let ownProjections = fused + shape.dim * 2 * shape.keyDim
            self.projections = projections ?? ownProjections
            let ownWeights = ownProjections + shape.rows * 2 * shape.keyDim
            self.weights = weights ?? ownWeights
            let ownPooled = ownWeights + shape.rows
            self.pooled = pooled ?? ownPooled
            self.global = global ?? ownPooled + shape.globalCount
        }
    }

    /// 1 / sqrt(Dk); with Dk = 0 every logit is an empty sum, 0, and so is the scale.
    private static func attentionScale(_ shape: Shape) -> Double {
        shape.keyDim > 0 ? 1 / Double(shape.keyDim).squareRoot() : 0
    }

    /// Packs the region's rows of F and lays out [Wq | Wk].
    private static func prepare<T: KernelScalar>(_ features: UnsafePointer<T>, _ weights: Weights<T>,
                                                 _ attention: Attention<T>, _ region: Region, _ shape: Shape) {
        let (d, dk) = (shape.dim, shape.keyDim)
        for packed in 0..<region.count {
            (attention.features + packed * d).update(from: features + region.rows[packed] * d, count: d)
        }
        for r in 0..<d {
            (attention.fused + r * 2 * dk).update(from: weights.query + r * dk, count: dk)
            (attention.fused + r * 2 * dk + dk).update(from: weights.key + r * dk, count: dk)
        }
    }

    private static func project<T: KernelScalar>(_ attention: Attention<T>, _ region: Region, _ shape: Shape) {
        let (d, dk2) = (shape.dim, 2 * shape.keyDim)
        BLAS.gemm(m: region.count, n: dk2, k: d, attention.features, lda: d, attention.fused, ldb: dk2,
                  attention.projections, ldc: dk2)
    }

    /// P[a * r + b] = softmax over b of (Q_a · K_b) / sqrt(Dk) for the r rows of one clip.
    private static func softmaxRows<T: KernelScalar>(_ projections: UnsafePointer<T>, first: Int, count r: Int,
                                                     _ shape: Shape, into p: UnsafeMutableBufferPointer<Double>) {
        let (dk, scale) = (shape.keyDim, attentionScale(shape))
        for a in 0..<r {
            let q = projections + (first + a) * 2 * dk
            var top = -Double.infinity
            for b in 0..<r {
                let logit = scale * dotProduct(q, projections + (first + b) * 2 * dk + dk, count: dk)
                p[a * r + b] = logit
                top = max(top, logit)
            }
            var sum = 0.0
            for b in 0..<r {
                p[a * r + b] = exp(p[a * r + b] - top)
                sum += p[a * r + b]
            }
            for b in 0..<r { p[a * r + b] /= sum }
        }
    }

    /// w and u = w^T F for every clip, from the projections. `softmax`: region.softmaxCount doubles.
    private static func pool<T: KernelScalar>(_ attention: Attention<T>, _ region: Region,
                                              softmax: UnsafeMutablePointer<Double>, _ shape: Shape) {
        let d = shape.dim
        for clip in 0..<shape.clips {
            let (first, r) = (region.starts[clip], region.starts[clip + 1] - region.starts[clip])
            let u = attention.pooled + clip * d
            u.update(repeating: 0, count: d)
            guard r > 0 else { continue }
            let p = UnsafeMutableBufferPointer(start: softmax, count: r * r)
            softmaxRows(attention.projections, first: first, count: r, shape, into: p)
            for b in 0..<r {
                var column = 0.0
                for a in 0..<r { column += p[a * r + b] }
                let w = T(column / Double(r))
                attention.weights[first + b] = w
                let f = attention.features + (first + b) * d
                scaledAdd(u, w, f, count: d)
            }
        }
    }

    /// φ = U Wv.
    private static func globalFeature<T: KernelScalar>(_ attention: Attention<T>, _ weights: Weights<T>,
                                                       _ shape: Shape) {
        let d = shape.dim
        BLAS.gemm(m: shape.clips, n: d, k: d, attention.pooled, lda: d, weights.value, ldb: d, attention.global, ldc: d)
    }

    static func sigmoid(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }

    /// p_m[n, t] = σ(φ_other[n] · F_m[n, t]).
    static func relevance<T: KernelScalar>(_ features: UnsafePointer<T>, _ otherGlobal: UnsafePointer<T>,
                                           _ out: UnsafeMutablePointer<T>, _ shape: Shape) {
        for row in 0..<shape.rows {
            let clip = row / max(shape.segments, 1)
            out[row] = T(sigmoid(dotProduct(features + row * shape.dim, otherGlobal + clip * shape.dim,
                                            count: shape.dim)))
        }
    }

    struct Outputs<T: KernelScalar> {
        let p, pAudio, pVisual, globalAudio, globalVisual: UnsafeMutablePointer<T>
    }

    /// Runs body(0) for audio and body(1) for visual, in parallel: the two modalities' pipelines
    /// are independent, and splitting them keeps every GEMM whole (its rounding fixed) while using
    /// two cores. The GEMMs at the AVE size are too small to split well themselves.
    private static func eachModality(_ shape: Shape, _ body: @Sendable (Int) -> Void) {
        parallelFor(2, bytesPerItem: shape.rows * shape.dim * MemoryLayout<Double>.stride * 16) { slots in
            for slot in slots { body(slot) }
        }
    }

    /// The forward; `workspace` (workspaceCount elements, or nil) receives what the backward can reuse.
    static func forward<T: KernelScalar>(audio: UnsafePointer<T>, visual: UnsafePointer<T>, mask: UnsafePointer<T>,
                                         audioWeights: Weights<T>, visualWeights: Weights<T>, _ out: Outputs<T>,
                                         workspace: UnsafeMutablePointer<T>?, _ shape: Shape) throws(VTError) {
        // No segments: every region is empty, so φ = 0 (and so is everything the workspace holds).
        guard shape.rows > 0 else {
            out.globalAudio.update(repeating: 0, count: shape.globalCount)
            out.globalVisual.update(repeating: 0, count: shape.globalCount)
            workspace?.update(repeating: 0, count: workspaceCount(shape))
            return
        }
        let count = Attention<T>.count(shape)
        try withRegion(mask, shape, scratch: 2 * count) { region, softmax, scratch in
            let pointers = UnsafeTransfer((audio, visual, audioWeights, visualWeights, out, workspace, scratch, softmax))
            eachModality(shape) { slot in
                let (audio, visual, audioWeights, visualWeights, out, workspace, scratch, softmax) = pointers.value
                let (features, weights, global) = slot == 0 ? (audio, audioWeights, out.globalAudio)
                                                            : (visual, visualWeights, out.globalVisual)
                // With a workspace, everything the backward reuses is computed in place there.
                let attention = workspace.map { Self.attention(scratch + slot * count, workspace: $0, slot: slot, shape) }
                    ?? Attention(scratch + slot * count, shape, global: global)
                prepare(features, weights, attention, region, shape)
                project(attention, region, shape)
                pool(attention, region, softmax: softmax + slot * region.softmaxCount, shape)
                globalFeature(attention, weights, shape)
                if workspace != nil {
                    // Rows past the region are unused; zero them so the workspace is fully defined.
                    let used = region.count * 2 * shape.keyDim
                    (attention.projections + used).update(repeating: 0, count: shape.rows * 2 * shape.keyDim - used)
                    (attention.weights + region.count).update(repeating: 0, count: shape.rows - region.count)
                    global.update(from: attention.global, count: shape.globalCount)
                }
                // This modality's φ scores the other modality's segments.
                if slot == 0 { relevance(visual, global, out.pVisual, shape) } else { relevance(audio, global, out.pAudio, shape) }
            }
        }
        for i in 0..<shape.rows { out.p[i] = (out.pAudio[i] + out.pVisual[i]) / 2 }
    }

    /// The output gradients (nil = zero) and the input gradients (nil = not computed).
    struct Gradients<T: KernelScalar> {
        let p, pAudio, pVisual, globalAudio, globalVisual: UnsafePointer<T>?
        let audio, visual: UnsafeMutablePointer<T>?
        let audioWeights, visualWeights: (query: UnsafeMutablePointer<T>?, key: UnsafeMutablePointer<T>?,
                                          value: UnsafeMutablePointer<T>?)
    }

    /// The backward; `workspace` is the forward's (same inputs) or nil to recompute it.
    static func backward<T: KernelScalar>(audio: UnsafePointer<T>, visual: UnsafePointer<T>, mask: UnsafePointer<T>,
                                          audioWeights: Weights<T>, visualWeights: Weights<T>, _ grads: Gradients<T>,
                                          workspace: UnsafePointer<T>?, _ shape: Shape) throws(VTError) {
        // No segments: φ = 0 whatever the weights, so their gradients are 0 (the features have none).
        guard shape.rows > 0 else {
            let (d, dk) = (shape.dim, shape.keyDim)
            for weights in [grads.audioWeights, grads.visualWeights] {
                weights.query?.update(repeating: 0, count: d * dk)
                weights.key?.update(repeating: 0, count: d * dk)
                weights.value?.update(repeating: 0, count: d * d)
            }
            return
        }
        let (rows, globals, count) = (shape.rows, shape.globalCount, Attention<T>.count(shape))
        let backwardCount = rows * (2 * shape.keyDim + shape.dim) + shape.dim * 2 * shape.keyDim + globals
        let total = 2 * count + 4 * rows + 2 * globals + 2 * backwardCount
        try withRegion(mask, shape, scratch: total) { region, softmax, scratch in
            let attentions = (0..<2).map { slot in
                workspace.map { attention(scratch + slot * count, workspace: UnsafeMutablePointer(mutating: $0), slot: slot, shape) }
                    ?? Attention(scratch + slot * count, shape)
            }
            let recompute = workspace == nil
            let pAudio = scratch + 2 * count, pVisual = pAudio + rows
            let dzAudio = pVisual + rows, dzVisual = dzAudio + rows
            let dGlobalAudio = dzVisual + rows, dGlobalVisual = dGlobalAudio + globals
            let work = dGlobalVisual + globals
            // Everything a modality needs comes from its own pipeline: its φ scores the other
            // modality's segments, p_o = σ(φ_m · F_o), whose sigmoid gradient dz_o = (dp_o + dp / 2)
            // p_o (1 - p_o) gives dφ_m and the first term of dF_o. So each modality runs to its
            // packed feature gradients in one task, and only adding those into dF waits for both.
            let state = UnsafeTransfer((audio, visual, audioWeights, visualWeights, attentions, pAudio, pVisual, dzAudio,
                                        dzVisual, dGlobalAudio, dGlobalVisual, work, grads, softmax))
            eachModality(shape) { slot in
                let (audio, visual, audioWeights, visualWeights, attentions, pAudio, pVisual, dzAudio, dzVisual,
                     dGlobalAudio, dGlobalVisual, work, grads, softmaxes) = state.value
                let softmax = softmaxes + slot * region.softmaxCount
                let (features, weights, other) = slot == 0 ? (audio, audioWeights, visual) : (visual, visualWeights, audio)
                let attention = attentions[slot]
                prepare(features, weights, attention, region, shape)
                if recompute {
                    project(attention, region, shape)
                    pool(attention, region, softmax: softmax, shape)
                    globalFeature(attention, weights, shape)
                }
                let (p, dz) = slot == 0 ? (pVisual, dzVisual) : (pAudio, dzAudio)
                relevance(other, attention.global, p, shape)
                let given = slot == 0 ? grads.pVisual : grads.pAudio
                for i in 0..<rows { dz[i] = ((given?[i] ?? 0) + (grads.p?[i] ?? 0) / 2) * p[i] * (1 - p[i]) }
                let dGlobal = slot == 0 ? dGlobalAudio : dGlobalVisual
                crossGradients(dz, other, attention.global, dGlobal: dGlobal,
                               given: slot == 0 ? grads.globalAudio : grads.globalVisual,
                               dFeatures: slot == 0 ? grads.visual : grads.audio, shape)
                attentionBackward(attention, weights, region, softmax: softmax, dGlobal: dGlobal,
                                  work: work + slot * backwardCount,
                                  dFeatures: slot == 0 ? grads.audio : grads.visual,
                                  dWeights: slot == 0 ? grads.audioWeights : grads.visualWeights, shape)
            }
            // dF = the first term (from the other modality's task) + the packed rows' gradients.
            eachModality(shape) { slot in
                let (_, _, _, _, _, _, _, _, _, _, _, work, grads, _) = state.value
                guard let dFeatures = slot == 0 ? grads.audio : grads.visual else { return }
                let dPacked = work + slot * backwardCount + rows * 2 * shape.keyDim
                for packed in 0..<region.count {
                    scaledAdd(dFeatures + region.rows[packed] * shape.dim, 1, dPacked + packed * shape.dim,
                              count: shape.dim)
                }
            }
        }
    }

    /// dGlobal[n] = given[n] + Σ_t dz[n,t] F[n,t]; dF[n,t] = dz[n,t] global[n] (the first term of dF).
    private static func crossGradients<T: KernelScalar>(_ dz: UnsafePointer<T>, _ features: UnsafePointer<T>,
                                                        _ global: UnsafePointer<T>, dGlobal: UnsafeMutablePointer<T>,
                                                        given: UnsafePointer<T>?, dFeatures: UnsafeMutablePointer<T>?,
                                                        _ shape: Shape) {
        let d = shape.dim
        for clip in 0..<shape.clips {
            let g = dGlobal + clip * d
            if let given { g.update(from: given + clip * d, count: d) } else { g.update(repeating: 0, count: d) }
            for t in 0..<shape.segments {
                let row = clip * shape.segments + t
                let (scale, f) = (dz[row], features + row * d)
                scaledAdd(g, scale, f, count: d)
                if let dFeatures { scaledAdd(dFeatures + row * d, scale, global + clip * d, count: d, add: false) }
            }
        }
    }

    /// Back through φ = (w^T F) Wv and the region softmax into the packed rows' feature gradients
    /// (when dFeatures is wanted; the caller adds them in) and the three weights. `work` holds
    /// R x 2Dk projection gradients, R x D packed feature gradients, the D x 2Dk fused weight
    /// gradient and N x D for dU.
    private static func attentionBackward<T: KernelScalar>(
        _ attention: Attention<T>, _ weights: Weights<T>, _ region: Region, softmax: UnsafeMutablePointer<Double>,
        dGlobal: UnsafeMutablePointer<T>,
        work: UnsafeMutablePointer<T>, dFeatures: UnsafeMutablePointer<T>?,
        dWeights: (query: UnsafeMutablePointer<T>?, key: UnsafeMutablePointer<T>?, value: UnsafeMutablePointer<T>?),
        _ shape: Shape
    ) {
        let (d, dk, n, r) = (shape.dim, shape.keyDim, shape.clips, region.count)
        let dProjections = work, dPacked = dProjections + shape.rows * 2 * dk
        let dFused = dPacked + shape.rows * d, dPooled = dFused + d * 2 * dk
        // φ = u Wv: dWv = U^T dΦ, dU = dΦ Wv^T.
        if let value = dWeights.value {
            BLAS.gemm(transposeA: true, m: d, n: d, k: n, attention.pooled, lda: d, dGlobal, ldb: d, value, ldc: d)
        }
        BLAS.gemm(transposeB: true, m: n, n: d, k: d, dGlobal, lda: d, weights.value, ldb: d, dPooled, ldc: d)
        dProjections.update(repeating: 0, count: r * 2 * dk)
        let scale = T(attentionScale(shape))
        for clip in 0..<n {
            let (first, count) = (region.starts[clip], region.starts[clip + 1] - region.starts[clip])
            guard count > 0 else { continue }
            let du = dPooled + clip * d
            do {
                let p = UnsafeMutableBufferPointer(start: softmax, count: count * count)
                let dw = UnsafeMutableBufferPointer(start: softmax + count * count, count: count)
                // u = Σ_j w_j F_j: dF_j = w_j du (the packed row's first term), dw_j = F_j · du.
                for b in 0..<count {
                    let row = first + b
                    dw[b] = dotProduct(attention.features + row * d, du, count: d)
                    scaledAdd(dPacked + row * d, attention.weights[row], du, count: d, add: false)
                }
                // w_j = (1/r) Σ_i P_ij, then the softmax of each row i over the region.
                softmaxRows(attention.projections, first: first, count: count, shape, into: p)
                let size = Double(count)
                for a in 0..<count {
                    var centre = 0.0
                    for b in 0..<count { centre += p[a * count + b] * dw[b] / size }
                    let qa = attention.projections + (first + a) * 2 * dk
                    let dqa = dProjections + (first + a) * 2 * dk
                    for b in 0..<count {
                        let ds = T(p[a * count + b] * (dw[b] / size - centre)) * scale
                        let kb = attention.projections + (first + b) * 2 * dk + dk
                        let dkb = dProjections + (first + b) * 2 * dk + dk
                        scaledAdd(dqa, ds, kb, count: dk)
                        scaledAdd(dkb, ds, qa, count: dk)
                    }
                }
            }
        }
        // [Q | K] = F [Wq | Wk] over the packed rows.
        if dWeights.query != nil || dWeights.key != nil {
            BLAS.gemm(transposeA: true, m: d, n: 2 * dk, k: r, attention.features, lda: d, dProjections, ldb: 2 * dk,
                      dFused, ldc: 2 * dk)
            for row in 0..<d {
                dWeights.query.map { ($0 + row * dk).update(from: dFused + row * 2 * dk, count: dk) }
                dWeights.key.map { ($0 + row * dk).update(from: dFused + row * 2 * dk + dk, count: dk) }
            }
        }
        guard dFeatures != nil else { return }
        BLAS.gemm(transposeB: true, m: r, n: d, k: 2 * dk, dProjections, lda: 2 * dk, attention.fused, ldb: 2 * dk,
                  beta: 1, dPacked, ldc: d)
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension DualAttentionMatching {
    /// The workspace's element count for these dims (the op table's derived size W).
    static func workspaceCount(_ n: Int, _ t: Int, _ d: Int, _ dk: Int) throws(VTError) -> Int {
        workspaceCount(try shape(n: n, t: t, d: d, dk: dk, elementSize: 8))
    }

    private static func weights<T>(_ query: Tensor, _ key: Tensor, _ value: Tensor) -> Weights<T> {
        Weights(query: query.pointer(), key: key.pointer(), value: value.pointer())
    }

    static func forward<T: KernelScalar>(_ a: DualAttentionMatchingForwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(n: a.n, t: a.t, d: a.d, dk: a.dk, elementSize: MemoryLayout<T>.stride)
        try requireBinaryMask(a.mask.pointer(T.self), shape)
        try forward(audio: a.audio.pointer(T.self), visual: a.visual.pointer(), mask: a.mask.pointer(),
                    audioWeights: weights(a.wqA, a.wkA, a.wvA), visualWeights: weights(a.wqV, a.wkV, a.wvV),
                    Outputs(p: a.p.mutablePointer(), pAudio: a.pAudio.mutablePointer(),
                            pVisual: a.pVisual.mutablePointer(), globalAudio: a.globalAudio.mutablePointer(),
                            globalVisual: a.globalVisual.mutablePointer()),
                    workspace: a.w > 0 ? a.workspace?.mutablePointer() : nil, shape)
    }

    static func backward<T: KernelScalar>(_ a: DualAttentionMatchingBackwardArguments, _: T.Type) throws(VTError) {
        let shape = try shape(n: a.n, t: a.t, d: a.d, dk: a.dk, elementSize: MemoryLayout<T>.stride)
        try requireBinaryMask(a.mask.pointer(T.self), shape)
        // Empty tensors are skipped like absent ones.
        func given(_ t: Tensor?) -> UnsafePointer<T>? { t.flatMap { $0.count > 0 ? $0.pointer() : nil } }
        func wanted(_ t: Tensor?) -> UnsafeMutablePointer<T>? { t.flatMap { $0.count > 0 ? $0.mutablePointer() : nil } }
        try backward(audio: a.audio.pointer(T.self), visual: a.visual.pointer(), mask: a.mask.pointer(),
                     audioWeights: weights(a.wqA, a.wkA, a.wvA), visualWeights: weights(a.wqV, a.wkV, a.wvV),
                     Gradients(p: given(a.gradP), pAudio: given(a.gradPAudio), pVisual: given(a.gradPVisual),
                               globalAudio: given(a.gradGlobalAudio), globalVisual: given(a.gradGlobalVisual),
                               audio: wanted(a.gradAudio), visual: wanted(a.gradVisual),
                               audioWeights: (wanted(a.gradWqA), wanted(a.gradWkA), wanted(a.gradWvA)),
                               visualWeights: (wanted(a.gradWqV), wanted(a.gradWkV), wanted(a.gradWvV))),
                     workspace: a.w > 0 ? given(a.workspace) : nil, shape)
    }
}
