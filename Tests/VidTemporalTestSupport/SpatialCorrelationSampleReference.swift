/// Spatial correlation sampling as spatial-correlation-sampler's CPU source defines it, one output
/// element at a time, in Double.
public enum SpatialCorrelationSampleReference {
    /// Each axis's arguments: (kernel, patch, stride, padding, dilation, dilation_patch).
    public struct Axis: Sendable {
        public var kernel, patch, stride, padding, dilation, dilationPatch: Int
        public init(_ kernel: Int, _ patch: Int, _ stride: Int, _ padding: Int, _ dilation: Int, _ dilationPatch: Int) {
            (self.kernel, self.patch, self.stride, self.padding, self.dilation) = (kernel, patch, stride, padding, dilation)
            self.dilationPatch = dilationPatch
        }

        /// The peer's output size (C++ division truncates towards zero, as Swift's does).
        public func output(_ size: Int) -> Int { (size + 2 * padding - ((kernel - 1) * dilation + 1)) / stride + 1 }
    }

    public static func forward(_ in1: [Double], _ in2: [Double], b: Int, c: Int, h: Int, w: Int, rows: Axis,
                               columns: Axis) -> [Double] {
        let (oh, ow) = (rows.output(h), columns.output(w))
        var out = [Double](repeating: 0, count: b * rows.patch * columns.patch * oh * ow)
        for n in 0..<b {
            for p in 0..<rows.patch {
                for q in 0..<columns.patch {
                    let su = (p - (rows.patch - 1) / 2) * rows.dilationPatch
                    let sv = (q - (columns.patch - 1) / 2) * columns.dilationPatch
                    for y in 0..<oh {
                        for x in 0..<ow {
                            var sum = 0.0
                            for ch in 0..<c {
                                for i in 0..<rows.kernel {
                                    let y1 = y * rows.stride - rows.padding + i * rows.dilation
                                    guard y1 >= 0, y1 < h, y1 + su >= 0, y1 + su < h else { continue }
                                    for j in 0..<columns.kernel {
                                        let x1 = x * columns.stride - columns.padding + j * columns.dilation
                                        guard x1 >= 0, x1 < w, x1 + sv >= 0, x1 + sv < w else { continue }
                                        sum += in1[((n * c + ch) * h + y1) * w + x1] * in2[((n * c + ch) * h + y1 + su) * w + x1 + sv]
                                    }
                                }
                            }
                            out[(((n * rows.patch + p) * columns.patch + q) * oh + y) * ow + x] = sum
                        }
                    }
                }
            }
        }
        return out
    }
}
