#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CStreamingStores
import CVidTemporal

/// Outputs of at least this many bytes are written past the caches (half the L3 of the machines
/// this is tuned on): they would evict the cache anyway.
private let streamingBytes = 16 << 20

/// Temporal shift (TSM): moves a fraction of the channels one frame forward or backward in time
/// with zero fill. Pure data movement, so the kernels work on bytes and serve every dtype.
enum TemporalShift {
    enum Mode: Sendable {
        /// Offline TSM, the official code's direction: [0, fold) from t+1, [fold, 2 fold) from t-1.
        case bidirectional
        /// Online TSM: [0, fold) from t-1.
        case unidirectional
    }

    /// A run of channels whose output frame t reads input frame t + offset (zero outside the clip).
    struct Band: Sendable {
        let channels: Range<Int>
        let offset: Int
    }

    /// A validated call: the clip layout in elements and the bands of its mode.
    struct Shape: Sendable {
        let frames: Int
        let segments: Int
        let channels: Int
        /// h * w: the elements of one channel of one frame.
        let plane: Int
        let fold: Int
        let mode: Mode
        let count: Int

        /// The channel bands of the forward shift, or of its adjoint (every offset negated).
        func bands(adjoint: Bool) -> [Band] {
            let sign = adjoint ? -1 : 1
            let edge = min(2 * fold, channels)
            let bands: [Band] = switch mode {
            case .bidirectional:
                [Band(channels: 0..<fold, offset: sign), Band(channels: fold..<edge, offset: -sign),
                 Band(channels: edge..<channels, offset: 0)]
            case .unidirectional:
                [Band(channels: 0..<fold, offset: -sign), Band(channels: fold..<channels, offset: 0)]
            }
            return bands.filter { !$0.channels.isEmpty }
        }
    }

    static func mode(_ raw: Int32) throws(VTError) -> Mode {
        switch Int(raw) {
        case VT_SHIFT_BIDIRECTIONAL: return .bidirectional
        case VT_SHIFT_UNIDIRECTIONAL: return .unidirectional
        default: throw .invalidArgument("mode=\(raw) is not VT_SHIFT_BIDIRECTIONAL (0) or VT_SHIFT_UNIDIRECTIONAL (1)",
                                        argument: "mode")
        }
    }

    /// The layout of a shift of x (N*T, C, H, W), already checked against the op table.
    static func shape(_ x: Tensor, segments: Int, foldDiv: Int64, mode rawMode: Int32) throws(VTError) -> Shape {
        Shape(frames: x.dim(0), segments: segments, channels: x.dim(1), plane: x.dim(2) * x.dim(3),
              fold: x.dim(1) / Int(foldDiv), mode: try mode(rawMode), count: x.count)
    }

    /// y = shift(x), or shift^T(x) when `adjoint`. x and y must not overlap.
    static func apply(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer, _ shape: Shape,
                      elementSize: Int, adjoint: Bool) {
        let bands = shape.bands(adjoint: adjoint)
        let channelBytes = shape.plane * elementSize
        forEachFrame(x, y, shape, elementSize: elementSize) { x, y, frame, t in
            for band in bands {
                let destination = y + (frame * shape.channels + band.channels.lowerBound) * channelBytes
                let bytes = band.channels.count * channelBytes
                if (0..<shape.segments).contains(t + band.offset) {
                    let source = frame + band.offset
                    memcpy(destination, x + (source * shape.channels + band.channels.lowerBound) * channelBytes, bytes)
                } else {
                    memset(destination, 0, bytes)
                }
            }
        }
    }

    /// Runs body(x, y, frame, t) for every frame (t its index in the clip), frames in parallel,
    /// once the output is advised huge pages: the loop of both memory formats' `apply`.
    private static func forEachFrame(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer, _ shape: Shape,
                                     elementSize: Int,
                                     _ body: @Sendable (UnsafeRawPointer, UnsafeMutableRawPointer, Int, Int) -> Void) {
        adviseHugePages(y, bytes: shape.count * elementSize)
        let pointers = UnsafeTransfer((x, y))
        parallelFor(shape.frames, bytesPerItem: shape.channels * shape.plane * elementSize) { frames in
            let (x, y) = pointers.value
            for frame in frames { body(x, y, frame, frame % shape.segments) }
        }
    }

    /// `apply` for channels_last (NHWC) memory: each pixel holds its C channels together, so a
    /// band is a run of band.channels.count elements in every pixel of the frame. The runs are a
    /// few hundred bytes, so they go through one C loop (inlined vector stores, non-temporal for
    /// outputs past the caches) instead of a memcpy call each.
    static func applyChannelsLast(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer, _ shape: Shape,
                                  elementSize: Int, adjoint: Bool) {
        let bands = shape.bands(adjoint: adjoint)
        let pixelBytes = shape.channels * elementSize
        let frameBytes = shape.plane * pixelBytes
        let streaming: Int32 = shape.count * elementSize >= streamingBytes ? 1 : 0
        forEachFrame(x, y, shape, elementSize: elementSize) { x, y, frame, t in
            // Per band: its byte range in a pixel and the frame it reads (nil: zeros).
            var runs: InlineArray<3, vts_pixel_run> = .init(repeating: vts_pixel_run())
            for (i, band) in bands.enumerated() {
                let inside = (0..<shape.segments).contains(t + band.offset)
                let start = band.channels.lowerBound * elementSize
                runs[i] = vts_pixel_run(source: inside ? x + (frame + band.offset) * frameBytes + start : nil,
                                        source_stride: pixelBytes, start: start, bytes: band.channels.count * elementSize)
            }
            runs.span.withUnsafeBufferPointer { runs in
                vts_write_pixel_runs(y + frame * frameBytes, pixelBytes, shape.plane, runs.baseAddress, bands.count,
                                     streaming)
            }
        }
    }

    /// `applyInPlace` for channels_last memory: per clip and pixel, each shifted band walks the
    /// frames in the direction that reads every frame before overwriting it.
    static func applyInPlaceChannelsLast(_ x: UnsafeMutableRawPointer, _ shape: Shape, elementSize: Int,
                                         adjoint: Bool) {
        let shifted = shape.bands(adjoint: adjoint).filter { $0.offset != 0 }
        let clips = shape.frames / shape.segments
        guard !shifted.isEmpty, clips > 0 else { return }
        let pointer = UnsafeTransfer(x)
        let pixelBytes = shape.channels * elementSize
        let frameBytes = shape.plane * pixelBytes
        parallelFor(clips * shape.plane, bytesPerItem: shape.segments * 2 * shape.fold * elementSize) { items in
            let x = pointer.value
            for item in items {
                let (clip, pixel) = item.quotientAndRemainder(dividingBy: shape.plane)
                for band in shifted {
                    let start = band.channels.lowerBound * elementSize, bytes = band.channels.count * elementSize
                    walk(band.offset, segments: shape.segments, bytes: bytes) { t in
                        x + (clip * shape.segments + t) * frameBytes + pixel * pixelBytes + start
                    }
                }
            }
        }
    }

    /// Moves one band of one clip in place, block(t) = block(t + offset) for every frame (zeros
    /// where that frame is outside the clip), in the order that reads each block before it is
    /// overwritten.
    @inline(__always)
    private static func walk(_ offset: Int, segments: Int, bytes: Int, _ block: (Int) -> UnsafeMutableRawPointer) {
        let last = segments - 1
        if offset > 0 {
            for t in 0..<last { memcpy(block(t), block(t + 1), bytes) }
            memset(block(last), 0, bytes)
        } else {
            for t in stride(from: last, to: 0, by: -1) { memcpy(block(t), block(t - 1), bytes) }
            memset(block(0), 0, bytes)
        }
    }

    /// x = shift(x) (or its adjoint) in place, moving only the shifted bands: each clip's band is
    /// walked in the direction that reads every frame before overwriting it. Bit-identical to
    /// `apply`, since both only copy and zero.
    static func applyInPlace(_ x: UnsafeMutableRawPointer, _ shape: Shape, elementSize: Int, adjoint: Bool) {
        let shifted = shape.bands(adjoint: adjoint).filter { $0.offset != 0 }
        let clips = shape.frames / shape.segments
        guard !shifted.isEmpty, clips > 0 else { return }
        // Split each band's per-frame block into cache-line-aligned pieces so that a single clip
        // still fills the threads; pieces below 64 KiB are not worth a task.
        let channelBytes = shape.plane * elementSize
        let lines = (shape.fold * channelBytes + 63) / 64
        let pieces = max(1, min(Threads.count / (clips * shifted.count), lines / 1024))
        let pointer = UnsafeTransfer(x)
        let bytesPerTask = shape.segments * shape.fold * channelBytes / pieces
        parallelFor(clips * shifted.count * pieces, bytesPerItem: bytesPerTask) { tasks in
            let x = pointer.value
            for task in tasks {
                let piece = task % pieces
                let band = shifted[(task / pieces) % shifted.count]
                let clip = task / (pieces * shifted.count)
                let blockBytes = band.channels.count * channelBytes
                let start = min(blockBytes, lines * piece / pieces * 64)
                let bytes = min(blockBytes, lines * (piece + 1) / pieces * 64) - start
                walk(band.offset, segments: shape.segments, bytes: bytes) { t in
                    x + ((clip * shape.segments + t) * shape.channels + band.channels.lowerBound) * channelBytes + start
                }
            }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension TemporalShift {
    static func forward(_ a: TemporalShiftForwardArguments) throws(VTError) {
        try shift(a.x, into: a.y, segments: a.t, foldDiv: a.foldDiv, mode: a.mode, adjoint: false)
    }

    static func backward(_ a: TemporalShiftBackwardArguments) throws(VTError) {
        try shift(a.grad, into: a.gradX, segments: a.t, foldDiv: a.foldDiv, mode: a.mode, adjoint: true)
    }

    static func inplaceForward(_ a: TemporalShiftInplaceForwardArguments) throws(VTError) {
        try shiftInPlace(a.x, segments: a.t, foldDiv: a.foldDiv, mode: a.mode, adjoint: false)
    }

    static func inplaceBackward(_ a: TemporalShiftInplaceBackwardArguments) throws(VTError) {
        try shiftInPlace(a.grad, segments: a.t, foldDiv: a.foldDiv, mode: a.mode, adjoint: true)
    }

    private static func shift(_ x: Tensor, into y: Tensor, segments: Int, foldDiv: Int64, mode: Int32,
                              adjoint: Bool) throws(VTError) {
        let shape = try shape(x, segments: segments, foldDiv: foldDiv, mode: mode)
        guard shape.count > 0 else { return }
        if x.layout == .channelsLast || y.layout == .channelsLast {
            applyChannelsLast(x.address, y.address, shape, elementSize: x.dtype.size, adjoint: adjoint)
        } else {
            apply(x.address, y.address, shape, elementSize: x.dtype.size, adjoint: adjoint)
        }
    }

    private static func shiftInPlace(_ x: Tensor, segments: Int, foldDiv: Int64, mode: Int32,
                                     adjoint: Bool) throws(VTError) {
        let shape = try shape(x, segments: segments, foldDiv: foldDiv, mode: mode)
        guard shape.count > 0 else { return }
        if x.layout == .channelsLast {
            applyInPlaceChannelsLast(x.address, shape, elementSize: x.dtype.size, adjoint: adjoint)
        } else {
            applyInPlace(x.address, shape, elementSize: x.dtype.size, adjoint: adjoint)
        }
    }
}
