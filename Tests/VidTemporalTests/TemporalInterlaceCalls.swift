import CVidTemporal
import VidTemporalTestSupport

/// The temporal interlace exports, reachable generically from the tests.
protocol InterlaceScalar: ShiftScalar {
    typealias Forward = (UnsafePointer<Self>?, UnsafePointer<Self>?, UnsafePointer<Self>?, UnsafeMutablePointer<Self>?,
                         Int64, Int64, Int64, Int64, Int64, Int64, Int64, UnsafeMutablePointer<vt_error>?) -> Int32
    typealias Backward = (UnsafePointer<Self>?, UnsafePointer<Self>?, UnsafePointer<Self>?, UnsafePointer<Self>?,
                          UnsafeMutablePointer<Self>?, UnsafeMutablePointer<Self>?, UnsafeMutablePointer<Self>?,
                          Int64, Int64, Int64, Int64, Int64, Int64, Int64, UnsafeMutablePointer<vt_error>?) -> Int32
    static var interlaceForward: Forward { get }
    static var interlaceBackward: Backward { get }
}

extension Float: InterlaceScalar {
    static var interlaceForward: Forward { vt_temporal_interlace_forward_f32 }
    static var interlaceBackward: Backward { vt_temporal_interlace_backward_f32 }
}

extension Double: InterlaceScalar {
    static var interlaceForward: Forward { vt_temporal_interlace_forward_f64 }
    static var interlaceBackward: Backward { vt_temporal_interlace_backward_f64 }
}

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
    var dims: (Int64, Int64, Int64, Int64, Int64, Int64, Int64) {
        (Int64(frames), Int64(channels), Int64(height), Int64(width), Int64(segments), Int64(shiftDiv), Int64(groups))
    }

    /// Random weights in (0, 2) and the given offset generator, like the module produces.
    mutating func randomize(_ random: inout SeededRandom, offset: (inout SeededRandom) -> Double) {
        offsets = (0..<(clips * groups)).map { _ in offset(&random) }
        weights = (0..<(frames * groups)).map { _ in Double.random(in: 0.1..<2, using: &random) }
    }

    func forward<T: InterlaceScalar>(_ x: [T], offsets: [Double]? = nil, weights: [Double]? = nil) -> (Int32, [T], vt_error) {
        var y = [T](repeating: -7, count: x.count)
        var error = vt_error()
        let (o, w) = ((offsets ?? self.offsets).map { T($0) }, (weights ?? self.weights).map { T($0) })
        let d = dims
        let status = T.interlaceForward(x, o, w, &y, d.0, d.1, d.2, d.3, d.4, d.5, d.6, &error)
        return (status, y, error)
    }

    /// (status, grad_x, grad_offsets, grad_weights).
    func backward<T: InterlaceScalar>(_ gradY: [T], _ x: [T]) -> (Int32, [T], [T], [T]) {
        var gradX = [T](repeating: -7, count: x.count)
        var gradOffsets = [T](repeating: -7, count: offsets.count)
        var gradWeights = [T](repeating: -7, count: weights.count)
        let (o, w) = (offsets.map { T($0) }, weights.map { T($0) })
        let d = dims
        let status = T.interlaceBackward(gradY, x, o, w, &gradX, &gradOffsets, &gradWeights,
                                         d.0, d.1, d.2, d.3, d.4, d.5, d.6, nil)
        return (status, gradX, gradOffsets, gradWeights)
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
