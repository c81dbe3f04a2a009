/// Naive element-by-element temporal shift, written from the spec's text rather than from the
/// kernel's band decomposition: the independent oracle for the Swift and C tests.
public struct TemporalShiftReference {
    public let frames, segments, channels, plane, foldDiv: Int
    public let bidirectional: Bool

    public init(frames: Int, segments: Int, channels: Int, plane: Int, foldDiv: Int, bidirectional: Bool) {
        (self.frames, self.segments, self.channels, self.plane, self.foldDiv, self.bidirectional) =
            (frames, segments, channels, plane, foldDiv, bidirectional)
    }

    /// The input frame (within the clip) that output frame t, channel c reads.
    func sourceTime(t: Int, channel: Int) -> Int {
        let fold = channels / foldDiv
        if bidirectional {
            if channel < fold { return t + 1 }       // from the next frame
            if channel < 2 * fold { return t - 1 }   // from the previous frame
            return t
        }
        return channel < fold ? t - 1 : t
    }

    public func forward<T: FloatingPoint>(_ x: [T]) -> [T] {
        var y = [T](repeating: 0, count: x.count)
        forEachRead { output, input in y[output] = input.map { x[$0] } ?? 0 }
        return y
    }

    /// The adjoint by definition: scatter every output gradient back to the input it read.
    public func backward<T: FloatingPoint>(_ gradY: [T]) -> [T] {
        var gradX = [T](repeating: 0, count: gradY.count)
        forEachRead { output, input in if let input { gradX[input] += gradY[output] } }
        return gradX
    }

    private func forEachRead(_ body: (Int, Int?) -> Void) {
        for frame in 0..<frames {
            let t = frame % segments
            for channel in 0..<channels {
                let source = sourceTime(t: t, channel: channel)
                for p in 0..<plane {
                    let output = (frame * channels + channel) * plane + p
                    let valid = source >= 0 && source < segments
                    body(output, valid ? ((frame - t + source) * channels + channel) * plane + p : nil)
                }
            }
        }
    }
}

/// <a, b> accumulated in Double.
public func dot<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}
