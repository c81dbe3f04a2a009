import CVidTemporal

// Exports of DualAttentionMatching.

/// The inputs both directions take, validated: features, mask and the six weights.
private struct DamInputs<T: KernelScalar> {
    let audio, visual, mask: UnsafePointer<T>
    let audioWeights, visualWeights: DualAttentionMatching.Weights<T>

    init(_ shape: DualAttentionMatching.Shape, _ audio: UnsafePointer<T>?, _ visual: UnsafePointer<T>?,
         _ mask: UnsafePointer<T>?, _ weights: [UnsafePointer<T>?]) throws(VTError) {
        try requireData(audio, "audio", count: shape.featureCount)
        try requireData(visual, "visual", count: shape.featureCount)
        try requireData(mask, "mask", count: shape.rows)
        let names = ["wq_a", "wk_a", "wv_a", "wq_v", "wk_v", "wv_v"]
        for (index, weight) in weights.enumerated() {
            try requireData(weight, names[index], count: index % 3 == 2 ? shape.valueWeightCount : shape.queryWeightCount)
        }
        (self.audio, self.visual, self.mask) = (placeholder(audio), placeholder(visual), placeholder(mask))
        try DualAttentionMatching.requireBinaryMask(self.mask, shape)
        let w = weights.map { placeholder($0) }
        audioWeights = .init(query: w[0], key: w[1], value: w[2])
        visualWeights = .init(query: w[3], key: w[4], value: w[5])
    }

    static func extents(_ shape: DualAttentionMatching.Shape, _ audio: UnsafePointer<T>?, _ visual: UnsafePointer<T>?,
                        _ mask: UnsafePointer<T>?, _ weights: [UnsafePointer<T>?]) -> [ArrayExtent] {
        let names = ["wq_a", "wk_a", "wv_a", "wq_v", "wk_v", "wv_v"]
        return [ArrayExtent(audio, "audio", count: shape.featureCount),
                ArrayExtent(visual, "visual", count: shape.featureCount), ArrayExtent(mask, "mask", count: shape.rows)]
            + weights.enumerated().map { index, weight in
                ArrayExtent(weight, names[index],
                            count: index % 3 == 2 ? shape.valueWeightCount : shape.queryWeightCount)
            }
    }
}

private func damForward<T: KernelScalar>(
    _ function: String, _ audio: UnsafePointer<T>?, _ visual: UnsafePointer<T>?, _ mask: UnsafePointer<T>?,
    _ weights: [UnsafePointer<T>?], _ outputs: [UnsafeMutablePointer<T>?], _ workspace: UnsafeMutablePointer<T>?,
    _ n: Int64, _ t: Int64, _ d: Int64, _ dk: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try DualAttentionMatching.shape(n: n, t: t, d: d, dk: dk, elementSize: MemoryLayout<T>.stride)
        let inputs = try DamInputs(shape, audio, visual, mask, weights)
        let names = ["p", "p_audio", "p_visual", "global_audio", "global_visual"]
        let counts = [shape.rows, shape.rows, shape.rows, shape.globalCount, shape.globalCount]
        for index in outputs.indices { try requireData(outputs[index], names[index], count: counts[index]) }
        let workspaceCount = DualAttentionMatching.workspaceCount(shape)
        try requireSeparate(outputs: outputs.indices.map { ArrayExtent(outputs[$0], names[$0], count: counts[$0]) }
                                + [ArrayExtent(workspace, "workspace", count: workspaceCount)],
                            inputs: DamInputs.extents(shape, audio, visual, mask, weights))
        let o = outputs.map { placeholder($0) }
        try DualAttentionMatching.forward(audio: inputs.audio, visual: inputs.visual, mask: inputs.mask,
                                          audioWeights: inputs.audioWeights, visualWeights: inputs.visualWeights,
                                          .init(p: o[0], pAudio: o[1], pVisual: o[2], globalAudio: o[3],
                                                globalVisual: o[4]),
                                          workspace: workspaceCount > 0 ? workspace : nil, shape)
    }
}

private func damBackward<T: KernelScalar>(
    _ function: String, _ outputGrads: [UnsafePointer<T>?], _ audio: UnsafePointer<T>?, _ visual: UnsafePointer<T>?,
    _ mask: UnsafePointer<T>?, _ weights: [UnsafePointer<T>?], _ workspace: UnsafePointer<T>?,
    _ grads: [UnsafeMutablePointer<T>?], _ n: Int64, _ t: Int64, _ d: Int64, _ dk: Int64,
    _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    cabiCall(function, err) { () throws(VTError) in
        let shape = try DualAttentionMatching.shape(n: n, t: t, d: d, dk: dk, elementSize: MemoryLayout<T>.stride)
        let inputs = try DamInputs(shape, audio, visual, mask, weights)
        let gradNames = ["grad_p", "grad_p_audio", "grad_p_visual", "grad_global_audio", "grad_global_visual"]
        let gradCounts = [shape.rows, shape.rows, shape.rows, shape.globalCount, shape.globalCount]
        let names = ["grad_audio", "grad_visual", "grad_wq_a", "grad_wk_a", "grad_wv_a", "grad_wq_v", "grad_wk_v",
                     "grad_wv_v"]
        let (qw, vw) = (shape.queryWeightCount, shape.valueWeightCount)
        let counts = [shape.featureCount, shape.featureCount, qw, qw, vw, qw, qw, vw]
        try requireSeparate(
            outputs: grads.indices.map { ArrayExtent(grads[$0], names[$0], count: counts[$0]) },
            inputs: DamInputs.extents(shape, audio, visual, mask, weights)
                + outputGrads.indices.map { ArrayExtent(outputGrads[$0], gradNames[$0], count: gradCounts[$0]) }
                + [ArrayExtent(workspace, "workspace", count: DualAttentionMatching.workspaceCount(shape))])
        // Empty outputs are skipped like NULL ones.
        let g = grads.indices.map { counts[$0] > 0 ? grads[$0] : nil }
        let o = outputGrads.indices.map { gradCounts[$0] > 0 ? outputGrads[$0] : nil }
        try DualAttentionMatching.backward(
            audio: inputs.audio, visual: inputs.visual, mask: inputs.mask, audioWeights: inputs.audioWeights,
            visualWeights: inputs.visualWeights,
            .init(p: o[0], pAudio: o[1], pVisual: o[2], globalAudio: o[3], globalVisual: o[4], audio: g[0],
                  visual: g[1], audioWeights: (g[2], g[3], g[4]), visualWeights: (g[5], g[6], g[7])),
            workspace: DualAttentionMatching.workspaceCount(shape) > 0 ? workspace : nil, shape)
    }
}

@c @implementation
public func vt_dual_attention_matching_forward_f32(
    _ audio: UnsafePointer<Float>?, _ visual: UnsafePointer<Float>?, _ mask: UnsafePointer<Float>?,
    _ wq_a: UnsafePointer<Float>?, _ wk_a: UnsafePointer<Float>?, _ wv_a: UnsafePointer<Float>?,
    _ wq_v: UnsafePointer<Float>?, _ wk_v: UnsafePointer<Float>?, _ wv_v: UnsafePointer<Float>?,
    _ p: UnsafeMutablePointer<Float>?, _ p_audio: UnsafeMutablePointer<Float>?,
    _ p_visual: UnsafeMutablePointer<Float>?, _ global_audio: UnsafeMutablePointer<Float>?,
    _ global_visual: UnsafeMutablePointer<Float>?, _ workspace: UnsafeMutablePointer<Float>?, _ n: Int64, _ t: Int64,
    _ d: Int64, _ dk: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    damForward("vt_dual_attention_matching_forward_f32", audio, visual, mask, [wq_a, wk_a, wv_a, wq_v, wk_v, wv_v],
               [p, p_audio, p_visual, global_audio, global_visual], workspace, n, t, d, dk, err)
}

@c @implementation
public func vt_dual_attention_matching_forward_f64(
    _ audio: UnsafePointer<Double>?, _ visual: UnsafePointer<Double>?, _ mask: UnsafePointer<Double>?,
    _ wq_a: UnsafePointer<Double>?, _ wk_a: UnsafePointer<Double>?, _ wv_a: UnsafePointer<Double>?,
    _ wq_v: UnsafePointer<Double>?, _ wk_v: UnsafePointer<Double>?, _ wv_v: UnsafePointer<Double>?,
    _ p: UnsafeMutablePointer<Double>?, _ p_audio: UnsafeMutablePointer<Double>?,
    _ p_visual: UnsafeMutablePointer<Double>?, _ global_audio: UnsafeMutablePointer<Double>?,
    _ global_visual: UnsafeMutablePointer<Double>?, _ workspace: UnsafeMutablePointer<Double>?, _ n: Int64, _ t: Int64,
    _ d: Int64, _ dk: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    damForward("vt_dual_attention_matching_forward_f64", audio, visual, mask, [wq_a, wk_a, wv_a, wq_v, wk_v, wv_v],
               [p, p_audio, p_visual, global_audio, global_visual], workspace, n, t, d, dk, err)
}

@c @implementation
public func vt_dual_attention_matching_backward_f32(
    _ grad_p: UnsafePointer<Float>?, _ grad_p_audio: UnsafePointer<Float>?, _ grad_p_visual: UnsafePointer<Float>?,
    _ grad_global_audio: UnsafePointer<Float>?, _ grad_global_visual: UnsafePointer<Float>?,
    _ audio: UnsafePointer<Float>?, _ visual: UnsafePointer<Float>?, _ mask: UnsafePointer<Float>?,
    _ wq_a: UnsafePointer<Float>?, _ wk_a: UnsafePointer<Float>?, _ wv_a: UnsafePointer<Float>?,
    _ wq_v: UnsafePointer<Float>?, _ wk_v: UnsafePointer<Float>?, _ wv_v: UnsafePointer<Float>?,
    _ workspace: UnsafePointer<Float>?, _ grad_audio: UnsafeMutablePointer<Float>?, _ grad_visual: UnsafeMutablePointer<Float>?,
    _ grad_wq_a: UnsafeMutablePointer<Float>?, _ grad_wk_a: UnsafeMutablePointer<Float>?,
    _ grad_wv_a: UnsafeMutablePointer<Float>?, _ grad_wq_v: UnsafeMutablePointer<Float>?,
    _ grad_wk_v: UnsafeMutablePointer<Float>?, _ grad_wv_v: UnsafeMutablePointer<Float>?, _ n: Int64, _ t: Int64,
    _ d: Int64, _ dk: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    damBackward("vt_dual_attention_matching_backward_f32",
                [grad_p, grad_p_audio, grad_p_visual, grad_global_audio, grad_global_visual], audio, visual, mask,
                [wq_a, wk_a, wv_a, wq_v, wk_v, wv_v], workspace,
                [grad_audio, grad_visual, grad_wq_a, grad_wk_a, grad_wv_a, grad_wq_v, grad_wk_v, grad_wv_v],
                n, t, d, dk, err)
}

@c @implementation
public func vt_dual_attention_matching_backward_f64(
    _ grad_p: UnsafePointer<Double>?, _ grad_p_audio: UnsafePointer<Double>?, _ grad_p_visual: UnsafePointer<Double>?,
    _ grad_global_audio: UnsafePointer<Double>?, _ grad_global_visual: UnsafePointer<Double>?,
    _ audio: UnsafePointer<Double>?, _ visual: UnsafePointer<Double>?, _ mask: UnsafePointer<Double>?,
    _ wq_a: UnsafePointer<Double>?, _ wk_a: UnsafePointer<Double>?, _ wv_a: UnsafePointer<Double>?,
    _ wq_v: UnsafePointer<Double>?, _ wk_v: UnsafePointer<Double>?, _ wv_v: UnsafePointer<Double>?,
    _ workspace: UnsafePointer<Double>?, _ grad_audio: UnsafeMutablePointer<Double>?, _ grad_visual: UnsafeMutablePointer<Double>?,
    _ grad_wq_a: UnsafeMutablePointer<Double>?, _ grad_wk_a: UnsafeMutablePointer<Double>?,
    _ grad_wv_a: UnsafeMutablePointer<Double>?, _ grad_wq_v: UnsafeMutablePointer<Double>?,
    _ grad_wk_v: UnsafeMutablePointer<Double>?, _ grad_wv_v: UnsafeMutablePointer<Double>?, _ n: Int64, _ t: Int64,
    _ d: Int64, _ dk: Int64, _ err: UnsafeMutablePointer<vt_error>?
) -> Int32 {
    damBackward("vt_dual_attention_matching_backward_f64",
                [grad_p, grad_p_audio, grad_p_visual, grad_global_audio, grad_global_visual], audio, visual, mask,
                [wq_a, wk_a, wv_a, wq_v, wk_v, wv_v], workspace,
                [grad_audio, grad_visual, grad_wq_a, grad_wk_a, grad_wv_a, grad_wq_v, grad_wk_v, grad_wv_v],
                n, t, d, dk, err)
}

@c @implementation
public func vt_dual_attention_matching_workspace_count(_ n: Int64, _ t: Int64, _ d: Int64, _ dk: Int64,
                                                       _ count: UnsafeMutablePointer<Int64>?,
                                                       _ err: UnsafeMutablePointer<vt_error>?) -> Int32 {
    cabiCall("vt_dual_attention_matching_workspace_count", err) { () throws(VTError) in
        guard let count else { throw .nullPointer("count is NULL") }
        let shape = try DualAttentionMatching.shape(n: n, t: t, d: d, dk: dk, elementSize: 8)
        count.pointee = Int64(DualAttentionMatching.workspaceCount(shape))
    }
}
