import CVidTemporal
import VidTemporalTestSupport

/// The element types the shift tests sweep.
protocol ShiftScalar: BinaryFloatingPoint, SendableMetatype, TensorElement where RawSignificand: FixedWidthInteger {
    associatedtype Bits: Equatable
    var bitPattern: Bits { get }
    static var dtype: Tolerance.DType { get }
}

extension Float: ShiftScalar { static var dtype: Tolerance.DType { .float32 } }
extension Double: ShiftScalar { static var dtype: Tolerance.DType { .float64 } }

/// vt_temporal_shift_forward or _backward; the in-place ones.
typealias Shift = (UnsafePointer<DLTensor>?, UnsafeMutablePointer<DLTensor>?, Int64, Int64, Int32,
                   UnsafeMutablePointer<vt_error>?) -> Int32
typealias ShiftInPlace = (UnsafeMutablePointer<DLTensor>?, Int64, Int64, Int32, UnsafeMutablePointer<vt_error>?) -> Int32

/// One call's dims, so the sweeps can name what failed.
struct ShiftCase: CustomStringConvertible {
    var clips = 1, segments = 1, channels = 1, height = 1, width = 1, foldDiv = 8
    var mode = Int32(VT_SHIFT_BIDIRECTIONAL)

    var frames: Int { clips * segments }
    var count: Int { frames * channels * height * width }
    var description: String {
        "N=\(clips) T=\(segments) C=\(channels) H=\(height) W=\(width) fold_div=\(foldDiv) mode=\(mode)"
    }
    var reference: TemporalShiftReference {
        TemporalShiftReference(frames: frames, segments: segments, channels: channels, plane: height * width,
                               foldDiv: foldDiv, bidirectional: mode == Int32(VT_SHIFT_BIDIRECTIONAL))
    }

    var dims: [Int] { [frames, channels, height, width] }

    /// Runs an out-of-place export; returns the status, the output and the error record.
    func run<T: ShiftScalar>(_ function: Shift, _ input: [T]) -> (Int32, [T], vt_error) {
        let x = HostTensor(input, shape: dims), y = HostTensor([T](repeating: -7, count: count), shape: dims)
        var error = vt_error()
        let status = function(x.dl, y.dl, Int64(segments), Int64(foldDiv), mode, &error)
        return (status, y.values(T.self), error)
    }

    func runInPlace<T: ShiftScalar>(_ function: ShiftInPlace, _ input: [T]) -> (Int32, [T]) {
        let x = HostTensor(input, shape: dims)
        let status = function(x.dl, Int64(segments), Int64(foldDiv), mode, nil)
        return (status, x.values(T.self))
    }

    /// Every combination the sweeps cover: T = 1, C below fold_div and not divisible, empty dims.
    static var sweep: [ShiftCase] {
        var cases: [ShiftCase] = []
        for mode in [Int32(VT_SHIFT_BIDIRECTIONAL), Int32(VT_SHIFT_UNIDIRECTIONAL)] {
            for (clips, segments) in [(1, 1), (2, 1), (1, 3), (2, 4), (3, 8), (0, 3)] {
                for channels in [0, 1, 3, 7, 8, 13, 16] {
                    for (height, width) in [(1, 1), (2, 3), (0, 2)] {
                        for foldDiv in [1, 2, 3, 8] {
                            cases.append(ShiftCase(clips: clips, segments: segments, channels: channels,
                                                   height: height, width: width, foldDiv: foldDiv, mode: mode))
                        }
                    }
                }
            }
        }
        return cases
    }
}

/// vt_temporal_shift_stream_create for frames of these dims and dtype, described by a DLTensor
/// whose data is `data` (NULL by default: the create fails for a non-empty frame unless given one).
func createStream(_ dims: [Int64], foldDiv: Int64, dtype: DLDataType, data: UnsafeMutableRawPointer? = nil,
                  _ handle: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<vt_error>?) -> Int32 {
    var shape = dims
    return shape.withUnsafeMutableBufferPointer { shape in
        var frame = DLTensor(data: data, device: DLDevice(device_type: kDLCPU, device_id: 0), ndim: Int32(dims.count),
                             dtype: dtype, shape: shape.baseAddress, strides: nil, byte_offset: 0)
        return vt_temporal_shift_stream_create(&frame, foldDiv, handle, error)
    }
}

func message(_ error: vt_error) -> String {
    withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}
