#if canImport(Glibc)
import Glibc
#endif

/// Naive loops in Double for the GTA family, written from the spec's formulas: the oracles for
/// the GEMM kernels.
public enum GTAReference {
    /// y[n,t,k*Cg+c,s] = Σ_g Σ_τ attn[k,g,t,τ] v[n,τ,g*Cg+c,s]; returns (y, grad_v, grad_attn) for
    /// the output gradient gy.
    public static func mix(_ v: [Double], _ attn: [Double], _ gy: [Double], clips: Int, segments t: Int,
                           channels: Int, positions: Int, groups g: Int) -> ([Double], [Double], [Double]) {
        let cg = channels / g
        var y = [Double](repeating: 0, count: v.count)
        var gv = [Double](repeating: 0, count: v.count)
        var ga = [Double](repeating: 0, count: attn.count)
        func at(_ n: Int, _ time: Int, _ channel: Int, _ s: Int) -> Int {
            ((n * t + time) * channels + channel) * positions + s
        }
        for n in 0..<clips {
            for k in 0..<g {
                for h in 0..<g {
                    for tOut in 0..<t {
                        for tIn in 0..<t {
                            let a = attn[((k * g + h) * t + tOut) * t + tIn]
                            for c in 0..<cg {
                                for s in 0..<positions {
                                    let (out, inp) = (at(n, tOut, k * cg + c, s), at(n, tIn, h * cg + c, s))
                                    y[out] += a * v[inp]
                                    gv[inp] += a * gy[out]
                                    ga[((k * g + h) * t + tOut) * t + tIn] += gy[out] * v[inp]
                                }
                            }
                        }
                    }
                }
            }
        }
        return (y, gv, ga)
    }

    /// r[b,c,k] = scale Σ_s assign[b,k,s] x[b,c,s].
    public static func pool(_ x: [Double], _ assign: [Double], frames: Int, channels: Int, positions: Int,
                            regions: Int, scale: Double) -> [Double] {
        var r = [Double](repeating: 0, count: frames * channels * regions)
        for b in 0..<frames {
            for c in 0..<channels {
                for k in 0..<regions {
                    var sum = 0.0
                    for s in 0..<positions {
                        sum += assign[(b * regions + k) * positions + s] * x[(b * channels + c) * positions + s]
                    }
                    r[(b * channels + c) * regions + k] = scale * sum
                }
            }
        }
        return r
    }

    /// y[b,c,s] = Σ_k assign[b,k,s] r[b,c,k].
    public static func unpool(_ r: [Double], _ assign: [Double], frames: Int, channels: Int, positions: Int,
                              regions: Int) -> [Double] {
        var y = [Double](repeating: 0, count: frames * channels * positions)
        for b in 0..<frames {
            for c in 0..<channels {
                for s in 0..<positions {
                    var sum = 0.0
                    for k in 0..<regions {
                        sum += assign[(b * regions + k) * positions + s] * r[(b * channels + c) * regions + k]
                    }
                    y[(b * channels + c) * positions + s] = sum
                }
            }
        }
        return y
    }

    /// y[b,:,i] = Σ_j softmax_j(q_i · k_j / sqrt(d)) v[:,j], with the max subtracted first.
    public static func attention(_ q: [Double], _ k: [Double], _ v: [Double], frames: Int, keyDim d: Int,
                                 valueDim dv: Int, positions s: Int) -> [Double] {
        var y = [Double](repeating: 0, count: frames * dv * s)
        for b in 0..<frames {
            for i in 0..<s {
                var logits = [Double](repeating: 0, count: s)
                for j in 0..<s {
                    for p in 0..<d { logits[j] += q[(b * d + p) * s + i] * k[(b * d + p) * s + j] }
                    logits[j] /= Double(d).squareRoot()
                }
                let top = logits.max() ?? 0
                let weights = logits.map { exp($0 - top) }
                let total = weights.reduce(0, +)
                for c in 0..<dv {
                    for j in 0..<s { y[(b * dv + c) * s + i] += weights[j] / total * v[(b * dv + c) * s + j] }
                }
            }
        }
        return y
    }
}
