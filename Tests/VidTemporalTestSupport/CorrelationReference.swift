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
}
