import CVidTemporal
import VidTemporalTestSupport

/// The element types the interlace tests sweep.
protocol InterlaceScalar: ShiftScalar {}
extension Float: InterlaceScalar {}
extension Double: InterlaceScalar {}

/// One interlace problem: dims, offsets and weights.
struct InterlaceCase: CustomStringConvertible {
    var clips = 1, segments = 4, channels = 8, height = 1, width = 1, shiftDiv = 1, groups = 2
    var offsets: [Double] = []
    var weights: [Double] = []

    var frames: Int { clips * segments }
    var count: Int { frames * channels * height * width }
    var description: String {
        "N=\(clips) T=\(segments) C=\(channels) H=\(height) W=\(width) shift_div=\(shiftDiv) G=\(groups) offsets=\(offsets)"
    }
    var reference: TemporalInterlaceReference {
        TemporalInterlaceReference(frames: frames, segments: segments, channels: channels, plane: height * width,
                                   shiftDiv: shiftDiv, groups: groups)
    }
    var dims: [Int] { [frames, channels, height, width] }

    /// Random weights in (0, 2) and the given offset generator, like the module produces.
    mutating func randomize(_ random: inout SeededRandom, offset: (inout SeededRandom) -> Double) {
        offsets = (0..<(clips * groups)).map { _ in offset(&random) }
        weights = (0..<(frames * groups)).map { _ in Double.random(in: 0.1..<2, using: &random) }
    }

    /// offsets (N, G) and weights (N, T, G) as tensors of T.
    private func parameters<T: InterlaceScalar>(_: T.Type, offsets: [Double]? = nil,
                                                weights: [Double]? = nil) -> (HostTensor, HostTensor) {
        (HostTensor((offsets ?? self.offsets).map { T($0) }, shape: [clips, groups]),
         HostTensor((weights ?? self.weights).map { T($0) }, shape: [clips, segments, groups]))
    }

    func forward<T: InterlaceScalar>(_ x: [T], offsets: [Double]? = nil, weights: [Double]? = nil) -> (Int32, [T], vt_error) {
        let (o, w) = parameters(T.self, offsets: offsets, weights: weights)
        let (input, y) = (HostTensor(x, shape: dims), HostTensor([T](repeating: -7, count: x.count), shape: dims))
        var error = vt_error()
        let status = vt_temporal_interlace_forward(input.dl, o.dl, w.dl, y.dl, Int64(segments), Int64(shiftDiv), &error)
        return (status, y.values(T.self), error)
    }

    /// (status, grad_x, grad_offsets, grad_weights).
    func backward<T: InterlaceScalar>(_ gradY: [T], _ x: [T]) -> (Int32, [T], [T], [T]) {
        let (o, w) = parameters(T.self)
        let (g, input) = (HostTensor(gradY, shape: dims), HostTensor(x, shape: dims))
        let gradX = HostTensor([T](repeating: -7, count: x.count), shape: dims)
        let gradOffsets = HostTensor([T](repeating: -7, count: offsets.count), shape: [clips, groups])
        let gradWeights = HostTensor([T](repeating: -7, count: weights.count), shape: [clips, segments, groups])
        let status = vt_temporal_interlace_backward(g.dl, input.dl, o.dl, w.dl, gradX.dl, gradOffsets.dl, gradWeights.dl,
                                                    Int64(segments), Int64(shiftDiv), nil)
        return (status, gradX.values(T.self), gradOffsets.values(T.self), gradWeights.values(T.self))
    }

    /// L = <forward(x, offsets, weights), gradY> in Double through the f64 export.
    func loss(_ x: [Double], _ gradY: [Double], offsets: [Double]? = nil, weights: [Double]? = nil) -> Double {
        dot(forward(x, offsets: offsets, weights: weights).1, gradY)
    }

    /// Layouts the sweeps cover: parts of 1, 2 and 4 channels, G = 1, 2, 3, copied channels or none.
    static var layouts: [InterlaceCase] {
        var cases: [InterlaceCase] = []
        for (clips, segments) in [(1, 1), (2, 3), (1, 8)] {
            for (channels, shiftDiv, groups) in [(16, 4, 2), (24, 2, 3), (8, 1, 1), (10, 5, 1), (12, 1, 3)] {
                for (height, width) in [(1, 1), (2, 3)] {
                    cases.append(InterlaceCase(clips: clips, segments: segments, channels: channels, height: height,
                                               width: width, shiftDiv: shiftDiv, groups: groups))
                }
            }
        }
        return cases
    }
}

/// Offset generators: fractional in (-2, 2), exact integers, and far outside the clip.
enum OffsetKind: CaseIterable {
    case fractional, integer, beyondClip

    func draw(_ random: inout SeededRandom) -> Double {
        switch self {
        case .fractional: Double.random(in: -2..<2, using: &random)
        case .integer: Double(Int.random(in: -2...2, using: &random))
        case .beyondClip: (Bool.random(using: &random) ? 1 : -1) * Double.random(in: 8..<40, using: &random)
        }
    }
}
