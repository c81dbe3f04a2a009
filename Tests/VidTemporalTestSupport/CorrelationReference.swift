/// Correlation written as the definition, one output element at a time, in Double.
public enum CorrelationReference {
    public static func forward(_ f1: [Double], _ f2: [Double], b: Int, c: Int, h: Int, w: Int, patch: Int,
                               dilation: Int) -> [Double] {
        var out = [Double](repeating: 0, count: b * patch * patch * h * w)
        let r = (patch - 1) / 2
        for n in 0..<b {
            for i in 0..<patch {
                for j in 0..<patch {
                    for y in 0..<h {
                        for x in 0..<w {
                            let (y2, x2) = (y + (i - r) * dilation, x + (j - r) * dilation)
                            guard y2 >= 0, y2 < h, x2 >= 0, x2 < w else { continue }
                            var sum = 0.0
                            for ch in 0..<c {
                                sum += f1[((n * c + ch) * h + y) * w + x] * f2[((n * c + ch) * h + y2) * w + x2]
                            }
                            out[(((n * patch + i) * patch + j) * h + y) * w + x] = sum
                        }
                    }
                }
            }
        }
        return out
    }

    /// The gradients of f1 and f2 for an output gradient g, accumulated term by term from the
    /// definition.
    public static func backward(_ g: [Double], _ f1: [Double], _ f2: [Double], b: Int, c: Int, h: Int, w: Int,
                                patch: Int, dilation: Int) -> (gradF1: [Double], gradF2: [Double]) {
        var (gradF1, gradF2) = ([Double](repeating: 0, count: f1.count), [Double](repeating: 0, count: f2.count))
        let r = (patch - 1) / 2
        for n in 0..<b {
            for i in 0..<patch {
                for j in 0..<patch {
                    for y in 0..<h {
                        for x in 0..<w {
                            let (y2, x2) = (y + (i - r) * dilation, x + (j - r) * dilation)
                            guard y2 >= 0, y2 < h, x2 >= 0, x2 < w else { continue }
                            let scale = g[(((n * patch + i) * patch + j) * h + y) * w + x]
                            for ch in 0..<c {
                                let (at1, at2) = (((n * c + ch) * h + y) * w + x, ((n * c + ch) * h + y2) * w + x2)
                                gradF1[at1] += scale * f2[at2]
                                gradF2[at2] += scale * f1[at1]
                            }
                        }
                    }
                }
            }
        }
        return (gradF1, gradF2)
    }
}
