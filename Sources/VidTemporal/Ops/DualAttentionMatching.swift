#if canImport(Glibc)
import Glibc
#endif

/// Dual attention matching (DAM, Wu et al. ICCV 2019; no official code exists, this follows
/// the seminar notes). Per modality m with segment features F (T x D) and event mask R:
///
///     self_att(F) = softmax((F Wq)(F Wk)^T / sqrt(Dk)) (F Wv)   over the segments of R only
///     φ = mean over R of self_att(F) = w^T F Wv,  w_j = (1/|R|) Σ_{i∈R} P_ij   (φ = 0 if R = ∅)
///
/// and the cross-modal event relevance p_a[t] = σ(φ_v · audio[t]), p_v[t] = σ(φ_a · visual[t]),
/// p = (p_a + p_v) / 2. The projections of all clips are single GEMMs; the T x T attention of
/// each clip is small and done in loops, clips in parallel.
enum DualAttentionMatching {
    struct Shape: Sendable {
        let clips: Int
        let segments: Int
        let dim: Int
        let keyDim: Int

        var rows: Int { clips * segments }
        var featureCount: Int { rows * dim }
        var keyCount: Int { rows * keyDim }
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

    static func shape(n: Int64, t: Int64, d: Int64, dk: Int64, elementSize: Int) throws(VTError) -> Shape {
        let shape = Shape(clips: try dimension(n, "n"), segments: try dimension(t, "t"), dim: try dimension(d, "d"),
                          keyDim: try dimension(dk, "dk"))
        _ = try elementCount([shape.clips, shape.segments, shape.dim], elementSize: elementSize, tensor: "audio")
        _ = try elementCount([shape.clips, shape.segments, shape.keyDim], elementSize: elementSize * 2,
                             tensor: "the projected keys")
        _ = try elementCount([shape.dim, shape.dim], elementSize: elementSize, tensor: "wv")
        for (value, name) in [(shape.rows, "n * t"), (shape.dim, "d"), (shape.keyDim, "dk"), (shape.clips, "n")] {
            try requireBLASSize(value, name)
        }
        return shape
    }

    /// Rejects a mask that is not exactly 0 or 1.
    static func requireBinaryMask<T: KernelScalar>(_ mask: UnsafePointer<T>, _ shape: Shape) throws(VTError) {
        for i in 0..<shape.rows where mask[i] != 0 && mask[i] != 1 {
            throw .invalidArgument("mask[\(i / shape.segments), \(i % shape.segments)] = \(mask[i]) is not 0 or 1")
        }
    }

    /// The attention pieces of one modality that the forward makes and the backward reuses.
    struct Attention<T: KernelScalar> {
        /// F Wq and F Wk, (N*T) x Dk.
        let queries: UnsafeMutablePointer<T>
        let keys: UnsafeMutablePointer<T>
        /// w per segment (N x T): the column means of P over the region.
        let weights: UnsafeMutablePointer<T>
        /// u = w^T F per clip (N x D), and φ = u Wv (N x D).
        let pooled: UnsafeMutablePointer<T>
        let global: UnsafeMutablePointer<T>

        /// Scratch elements one modality needs.
        static func count(_ shape: Shape) -> Int { 2 * shape.keyCount + shape.rows + 2 * shape.globalCount }

        init(_ scratch: UnsafeMutablePointer<T>, _ shape: Shape, global: UnsafeMutablePointer<T>? = nil) {
            queries = scratch
            keys = queries + shape.keyCount
            weights = keys + shape.keyCount
            pooled = weights + shape.rows
            self.global = global ?? pooled + shape.globalCount
        }
    }

    /// The softmax rows of one clip over its region: P[i][j] for i, j in `region`.
    private static func probabilities<T: KernelScalar>(_ queries: UnsafePointer<T>, _ keys: UnsafePointer<T>,
                                                       region: [Int], _ shape: Shape) -> [[Double]] {
        let scale = attentionScale(shape)
        return region.map { i in
            let logits = region.map { j in
                scale * dotProduct(queries + i * shape.keyDim, keys + j * shape.keyDim, count: shape.keyDim)
            }
            let top = logits.max() ?? 0
            let e = logits.map { exp($0 - top) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }

    /// 1 / sqrt(Dk); with Dk = 0 every logit is an empty sum, 0, and so is the scale.
    private static func attentionScale(_ shape: Shape) -> Double {
        shape.keyDim > 0 ? 1 / Double(shape.keyDim).squareRoot() : 0
    }

    private static func region<T: KernelScalar>(_ mask: UnsafePointer<T>, clip: Int, _ shape: Shape) -> [Int] {
        (0..<shape.segments).filter { mask[clip * shape.segments + $0] == 1 }
    }

    /// Fills `attention` for features F: projections, region softmax, w, u, φ.
    static func attend<T: KernelScalar>(_ features: UnsafePointer<T>, _ mask: UnsafePointer<T>, _ weights: Weights<T>,
                                        _ attention: Attention<T>, _ shape: Shape) {
        let (d, dk) = (shape.dim, shape.keyDim)
        BLAS.parallelGemm(m: shape.rows, n: dk, k: d, features, lda: d, weights.query, ldb: dk, attention.queries,
                          ldc: dk)
        BLAS.parallelGemm(m: shape.rows, n: dk, k: d, features, lda: d, weights.key, ldb: dk, attention.keys, ldc: dk)
        let pointers = UnsafeTransfer((features, mask, attention))
        parallelFor(shape.clips, bytesPerItem: shape.segments * (d + dk) * 16) { clips in
            let (features, mask, attention) = pointers.value
            for clip in clips {
                let region = region(mask, clip: clip, shape)
                let w = attention.weights + clip * shape.segments
                w.update(repeating: 0, count: shape.segments)
                let p = probabilities(attention.queries + clip * shape.segments * dk,
                                      attention.keys + clip * shape.segments * dk, region: region, shape)
                for (b, j) in region.enumerated() {
                    w[j] = T(p.reduce(0) { $0 + $1[b] } / Double(region.count))
                }
                let u = attention.pooled + clip * d
                u.update(repeating: 0, count: d)
                for j in region {
                    let row = features + (clip * shape.segments + j) * d
                    for c in 0..<d { u[c] += w[j] * row[c] }
                }
            }
        }
        BLAS.parallelGemm(m: shape.clips, n: d, k: d, attention.pooled, lda: d, weights.value, ldb: d, attention.global,
                          ldc: d)
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

    static func forward<T: KernelScalar>(audio: UnsafePointer<T>, visual: UnsafePointer<T>, mask: UnsafePointer<T>,
                                         audioWeights: Weights<T>, visualWeights: Weights<T>, _ out: Outputs<T>,
                                         _ shape: Shape) throws(VTError) {
        let count = Attention<T>.count(shape)
        try withScratch(2 * count, of: T.self) { scratch in
            attend(audio, mask, audioWeights, Attention(scratch, shape, global: out.globalAudio), shape)
            attend(visual, mask, visualWeights, Attention(scratch + count, shape, global: out.globalVisual), shape)
        }
        relevance(audio, out.globalVisual, out.pAudio, shape)
        relevance(visual, out.globalAudio, out.pVisual, shape)
        for i in 0..<shape.rows { out.p[i] = (out.pAudio[i] + out.pVisual[i]) / 2 }
    }

    /// The output gradients (nil = zero) and the input gradients (nil = not computed).
    struct Gradients<T: KernelScalar> {
        let p, pAudio, pVisual, globalAudio, globalVisual: UnsafePointer<T>?
        let audio, visual: UnsafeMutablePointer<T>?
        let audioWeights, visualWeights: (query: UnsafeMutablePointer<T>?, key: UnsafeMutablePointer<T>?,
                                          value: UnsafeMutablePointer<T>?)
    }

    static func backward<T: KernelScalar>(audio: UnsafePointer<T>, visual: UnsafePointer<T>, mask: UnsafePointer<T>,
                                          audioWeights: Weights<T>, visualWeights: Weights<T>, _ grads: Gradients<T>,
                                          _ shape: Shape) throws(VTError) {
        let (rows, globals, count) = (shape.rows, shape.globalCount, Attention<T>.count(shape))
        let total = 2 * count + 4 * rows + 3 * globals + 2 * shape.keyCount
        try withScratch(total, of: T.self) { scratch in
            let audioAttention = Attention(scratch, shape), visualAttention = Attention(scratch + count, shape)
            let pAudio = scratch + 2 * count, pVisual = pAudio + rows
            let dzAudio = pVisual + rows, dzVisual = dzAudio + rows
            let dGlobalAudio = dzVisual + rows, dGlobalVisual = dGlobalAudio + globals, dPooled = dGlobalVisual + globals
            let dQueries = dPooled + globals, dKeys = dQueries + shape.keyCount

            // Recompute the forward.
            attend(audio, mask, audioWeights, audioAttention, shape)
            attend(visual, mask, visualWeights, visualAttention, shape)
            relevance(audio, visualAttention.global, pAudio, shape)
            relevance(visual, audioAttention.global, pVisual, shape)

            // Through the sigmoids: dz = (dp_m + dp / 2) p_m (1 - p_m).
            for i in 0..<rows {
                let half = (grads.p?[i] ?? 0) / 2
                dzAudio[i] = ((grads.pAudio?[i] ?? 0) + half) * pAudio[i] * (1 - pAudio[i])
                dzVisual[i] = ((grads.pVisual?[i] ?? 0) + half) * pVisual[i] * (1 - pVisual[i])
            }
            // z_a[t] = φ_v · audio[t] and z_v[t] = φ_a · visual[t]: each global gets the other
            // modality's features, each feature the other modality's global.
            crossGradients(dzAudio, audio, visualAttention.global, dGlobal: dGlobalVisual, given: grads.globalVisual,
                           dFeatures: grads.audio, shape)
            crossGradients(dzVisual, visual, audioAttention.global, dGlobal: dGlobalAudio, given: grads.globalAudio,
                           dFeatures: grads.visual, shape)

            attentionBackward(audio, mask, audioWeights, audioAttention, dGlobal: dGlobalAudio, dPooled: dPooled,
                              dQueries: dQueries, dKeys: dKeys, dFeatures: grads.audio, dWeights: grads.audioWeights,
                              shape)
            attentionBackward(visual, mask, visualWeights, visualAttention, dGlobal: dGlobalVisual, dPooled: dPooled,
                              dQueries: dQueries, dKeys: dKeys, dFeatures: grads.visual, dWeights: grads.visualWeights,
                              shape)
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
                for c in 0..<d { g[c] += scale * f[c] }
                if let dFeatures {
                    let out = dFeatures + row * d
                    for c in 0..<d { out[c] = scale * global[clip * d + c] }
                }
            }
        }
    }

    /// Back through φ = (w^T F) Wv and the region softmax into F and the three weights.
    private static func attentionBackward<T: KernelScalar>(
        _ features: UnsafePointer<T>, _ mask: UnsafePointer<T>, _ weights: Weights<T>, _ attention: Attention<T>,
        dGlobal: UnsafeMutablePointer<T>, dPooled: UnsafeMutablePointer<T>, dQueries: UnsafeMutablePointer<T>,
        dKeys: UnsafeMutablePointer<T>, dFeatures: UnsafeMutablePointer<T>?,
        dWeights: (query: UnsafeMutablePointer<T>?, key: UnsafeMutablePointer<T>?, value: UnsafeMutablePointer<T>?),
        _ shape: Shape
    ) {
        let (d, dk, n) = (shape.dim, shape.keyDim, shape.clips)
        // φ = u Wv: dWv = U^T dΦ, dU = dΦ Wv^T.
        if let value = dWeights.value {
            BLAS.parallelGemm(transposeA: true, m: d, n: d, k: n, attention.pooled, lda: d, dGlobal, ldb: d, value,
                              ldc: d)
        }
        BLAS.parallelGemm(transposeB: true, m: n, n: d, k: d, dGlobal, lda: d, weights.value, ldb: d, dPooled, ldc: d)
        dQueries.update(repeating: 0, count: shape.keyCount)
        dKeys.update(repeating: 0, count: shape.keyCount)
        let scale = attentionScale(shape)
        let pointers = UnsafeTransfer((features, mask, attention, dPooled, dQueries, dKeys, dFeatures))
        parallelFor(n, bytesPerItem: shape.segments * (d + dk) * 16) { clips in
            let (features, mask, attention, dPooled, dQueries, dKeys, dFeatures) = pointers.value
            for clip in clips {
                let region = region(mask, clip: clip, shape)
                guard !region.isEmpty else { continue }
                let base = clip * shape.segments
                let du = dPooled + clip * d
                // u = Σ_j w_j F_j: dF_j += w_j du, dw_j = F_j · du.
                var dw = [Double](repeating: 0, count: region.count)
                for (b, j) in region.enumerated() {
                    let row = features + (base + j) * d
                    dw[b] = dotProduct(row, du, count: d)
                    if let dFeatures {
                        let w = attention.weights[base + j]
                        let out = dFeatures + (base + j) * d
                        for c in 0..<d { out[c] += w * du[c] }
                    }
                }
                // w_j = (1/r) Σ_i P_ij, then the softmax of each row i over the region.
                let p = probabilities(attention.queries + base * dk, attention.keys + base * dk, region: region, shape)
                let r = Double(region.count)
                for (a, i) in region.enumerated() {
                    let centre = zip(p[a], dw).reduce(0) { $0 + $1.0 * $1.1 / r }
                    for (b, j) in region.enumerated() {
                        let ds = T(p[a][b] * (dw[b] / r - centre) * scale)
                        let (qi, kj) = (attention.queries + (base + i) * dk, attention.keys + (base + j) * dk)
                        let (dqi, dkj) = (dQueries + (base + i) * dk, dKeys + (base + j) * dk)
                        for c in 0..<dk {
                            dqi[c] += ds * kj[c]
                            dkj[c] += ds * qi[c]
                        }
                    }
                }
            }
        }
        // Q = F Wq, K = F Wk.
        if let query = dWeights.query {
            BLAS.parallelGemm(transposeA: true, m: d, n: dk, k: shape.rows, features, lda: d, dQueries, ldb: dk, query,
                              ldc: dk)
        }
        if let key = dWeights.key {
            BLAS.parallelGemm(transposeA: true, m: d, n: dk, k: shape.rows, features, lda: d, dKeys, ldb: dk, key,
                              ldc: dk)
        }
        if let dFeatures {
            BLAS.parallelGemm(transposeB: true, m: shape.rows, n: d, k: dk, dQueries, lda: dk, weights.query, ldb: dk,
                              beta: 1, dFeatures, ldc: d)
            BLAS.parallelGemm(transposeB: true, m: shape.rows, n: d, k: dk, dKeys, lda: dk, weights.key, ldb: dk,
                              beta: 1, dFeatures, ldc: d)
        }
    }
}
