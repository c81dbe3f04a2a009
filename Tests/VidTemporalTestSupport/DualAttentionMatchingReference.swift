#if canImport(Glibc)
import Glibc
#endif

/// DAM written out in Double, segment by segment, from the method's formulas: the oracle for
/// the kernel's values (its gradients are checked by finite differences of the kernel).
public enum DAMReference {
    /// Returns (p, p_audio, p_visual, global_audio, global_visual), flattened like the kernel's.
    public static func forward(audio: [Double], visual: [Double], mask: [Double], weights: [[Double]], n: Int, t: Int,
                               d: Int, dk: Int) -> [[Double]] {
        func global(_ f: [Double], _ wq: [Double], _ wk: [Double], _ wv: [Double], clip: Int) -> [Double] {
            let region = (0..<t).filter { mask[clip * t + $0] == 1 }
            guard !region.isEmpty else { return [Double](repeating: 0, count: d) }
            func project(_ j: Int, _ w: [Double], _ width: Int) -> [Double] {
                (0..<width).map { c in (0..<d).reduce(0) { $0 + f[(clip * t + j) * d + $1] * w[$1 * width + c] } }
            }
            var mean = [Double](repeating: 0, count: d)
            for i in region {
                let q = project(i, wq, dk)
                let logits = region.map { j in zip(q, project(j, wk, dk)).reduce(0) { $0 + $1.0 * $1.1 } / Double(dk).squareRoot() }
                let top = logits.max()!
                let e = logits.map { exp($0 - top) }
                let total = e.reduce(0, +)
                for (b, j) in region.enumerated() {
                    let v = project(j, wv, d)   // self_att(F)_i = Σ_j P_ij (F Wv)_j
                    for c in 0..<d { mean[c] += e[b] / total * v[c] / Double(region.count) }
                }
            }
            return mean
        }
        var pa = [Double](), pv = [Double](), ga = [Double](), gv = [Double]()
        for clip in 0..<n {
            let a = global(audio, weights[0], weights[1], weights[2], clip: clip)
            let v = global(visual, weights[3], weights[4], weights[5], clip: clip)
            ga += a
            gv += v
            for s in 0..<t {
                let za = (0..<d).reduce(0) { $0 + v[$1] * audio[(clip * t + s) * d + $1] }
                let zv = (0..<d).reduce(0) { $0 + a[$1] * visual[(clip * t + s) * d + $1] }
                pa.append(1 / (1 + exp(-za)))
                pv.append(1 / (1 + exp(-zv)))
            }
        }
        return [zip(pa, pv).map { ($0 + $1) / 2 }, pa, pv, ga, gv]
    }
}
