/// Naive element-by-element temporal interlace in Double, written from the spec's formula: the
/// oracle for the kernels' values and data gradient.
public struct TemporalInterlaceReference {
    public let frames, segments, channels, plane, shiftDiv, groups: Int

    public init(frames: Int, segments: Int, channels: Int, plane: Int, shiftDiv: Int, groups: Int) {
        (self.frames, self.segments, self.channels, self.plane, self.shiftDiv, self.groups) =
            (frames, segments, channels, plane, shiftDiv, groups)
    }

    /// For output (frame, channel): the two (input index, coefficient) terms it sums, or one
    /// copy term for the channels that are not interlaced. Out-of-clip terms are left out.
    func terms(frame: Int, channel: Int, pixel: Int, offsets: [Double], weights: [Double]) -> [(Int, Double)] {
        let interlaced = channels / shiftDiv
        let index = { (f: Int) in (f * channels + channel) * plane + pixel }
        guard channel < interlaced else { return [(index(frame), 1)] }
        let clip = frame / segments, t = frame % segments
        let part = channel / (interlaced / (2 * groups))
        let g = part % groups
        let s = (part < groups ? 1.0 : -1.0) * offsets[clip * groups + g]
        let k = s.rounded(.down)
        let a = s - k
        let weight = weights[frame * groups + g]
        var result: [(Int, Double)] = []
        for (time, coefficient) in [(Double(t) - k, 1 - a), (Double(t) - k - 1, a)]
        where time >= 0 && time < Double(segments) {
            result.append((index(clip * segments + Int(time)), weight * coefficient))
        }
        return result
    }

    public func forward(_ x: [Double], _ offsets: [Double], _ weights: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: x.count)
        forEachTerm(offsets, weights) { output, input, coefficient in y[output] += coefficient * x[input] }
        return y
    }

    /// The adjoint in x by definition: scatter each output gradient along its terms.
    public func backwardX(_ gradY: [Double], _ offsets: [Double], _ weights: [Double]) -> [Double] {
        var gradX = [Double](repeating: 0, count: gradY.count)
        forEachTerm(offsets, weights) { output, input, coefficient in gradX[input] += coefficient * gradY[output] }
        return gradX
    }

    private func forEachTerm(_ offsets: [Double], _ weights: [Double], _ body: (Int, Int, Double) -> Void) {
        for frame in 0..<frames {
            for channel in 0..<channels {
                for pixel in 0..<plane {
                    let output = (frame * channels + channel) * plane + pixel
                    for (input, coefficient) in terms(frame: frame, channel: channel, pixel: pixel,
                                                      offsets: offsets, weights: weights) {
                        body(output, input, coefficient)
                    }
                }
            }
        }
    }
}
