import CStreamingStores
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Online temporal shift, one frame at a time: the state is the previous frame's first `fold`
/// channels. Stepping it over a clip reproduces `TemporalShift` in `.unidirectional` mode.
/// Frames may be row-major or channels_last; the cache is kept in the memory format of the last
/// frame (channel planes, or pixels of `fold` channels) and converted when a frame's differs.
final class TemporalShiftStream {
    let dims: [Int]
    let dtype: DType
    private let batch: Int
    private let plane: Int
    private let fold: Int
    private let frameBytes: Int
    private let cacheBytes: Int
    private let cache: UnsafeMutableRawPointer
    private var cacheLayout = Tensor.Layout.rowMajor

    /// Throws `.allocation` if the cache cannot be allocated; dims are already validated.
    init(dims: [Int], fold: Int, dtype: DType) throws(VTError) {
        let (n, c, plane) = (dims[0], dims[1], dims[2] * dims[3])
        self.dims = dims
        self.dtype = dtype
        batch = n
        self.plane = plane
        self.fold = fold
        frameBytes = c * plane * dtype.size
        cacheBytes = fold * plane * dtype.size
        // calloc: zeros at start, and a NULL we can report instead of a trap.
        guard let cache = calloc(max(1, n * cacheBytes), 1) else {
            throw .allocation("cannot allocate the \(n * cacheBytes)-byte cache")
        }
        self.cache = cache
    }

    deinit { free(cache) }

    func reset() { memset(cache, 0, batch * cacheBytes) }

    /// out = frame with its first `fold` channels taken from the cache; the cache takes the
    /// frame's. frame and out must not overlap and share one layout.
    func step(_ frame: UnsafeRawPointer, _ out: UnsafeMutableRawPointer, layout: Tensor.Layout) throws(VTError) {
        if layout != .either && layout != cacheLayout {
            try transposeCache()
            cacheLayout = layout
        }
        let pointers = UnsafeTransfer((frame, out, cache))
        let (frameBytes, cacheBytes, plane) = (self.frameBytes, self.cacheBytes, self.plane)
        let pixelBytes = frameBytes / max(1, plane), foldBytes = cacheBytes / max(1, plane)
        let channelsLast = cacheLayout == .channelsLast
        parallelFor(batch, bytesPerItem: frameBytes) { items in
            let (frame, out, cache) = pointers.value
            for item in items {
                let source = frame + item * frameBytes
                let destination = out + item * frameBytes
                let cached = cache + item * cacheBytes
                if channelsLast {
                    // Per pixel: fold channels from the cache, the rest from the frame; then the
                    // cache takes the frame's first fold channels of every pixel.
                    var runs: InlineArray<2, vts_pixel_run> = [
                        vts_pixel_run(source: cached, source_stride: foldBytes, start: 0, bytes: foldBytes),
                        vts_pixel_run(source: source + foldBytes, source_stride: pixelBytes, start: foldBytes,
                                      bytes: pixelBytes - foldBytes),
                    ]
                    runs.span.withUnsafeBufferPointer {
                        vts_write_pixel_runs(destination, pixelBytes, plane, $0.baseAddress, 2, 0)
                    }
                    runs[0] = vts_pixel_run(source: source, source_stride: pixelBytes, start: 0, bytes: foldBytes)
                    runs.span.withUnsafeBufferPointer {
                        vts_write_pixel_runs(cached, foldBytes, plane, $0.baseAddress, 1, 0)
                    }
                } else {
                    memcpy(destination, cached, cacheBytes)
                    memcpy(destination + cacheBytes, source + cacheBytes, frameBytes - cacheBytes)
                    memcpy(cached, source, cacheBytes)
                }
            }
        }
    }

    /// Converts the cache between channel planes (fold, plane) and pixels (plane, fold).
    private func transposeCache() throws(VTError) {
        let (rows, columns) = cacheLayout == .channelsLast ? (plane, fold) : (fold, plane)
        let size = dtype.size
        try withScratch(cacheBytes, of: UInt8.self) { (copy: UnsafeMutablePointer<UInt8>) throws(VTError) in
            for item in 0..<batch {
                let cached = cache + item * cacheBytes
                memcpy(copy, cached, cacheBytes)
                for row in 0..<rows {
                    for column in 0..<columns {
                        memcpy(cached + (column * rows + row) * size, copy + (row * columns + column) * size, size)
                    }
                }
            }
        }
    }
}

// MARK: The entry points the generated thunks call, one per dtype (their tensors already checked against the op table)

extension TemporalShiftStream {
    /// The retained stream behind an opaque handle.
    static func object(_ handle: OpaquePointer) -> TemporalShiftStream {
        Unmanaged<TemporalShiftStream>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    static func create(_ a: TemporalShiftStreamCreateArguments) throws(VTError) {
        let stream = try TemporalShiftStream(dims: [a.n, a.c, a.h, a.w], fold: a.c / Int(a.foldDiv), dtype: a.dtype)
        a.out.pointee = OpaquePointer(Unmanaged.passRetained(stream).toOpaque())
    }

    static func step(_ a: TemporalShiftStreamStepArguments) throws(VTError) {
        let stream = object(a.stream)
        guard stream.dtype == a.dtype else {
            throw .unsupported("the stream holds \(stream.dtype.name) frames, not \(a.dtype.name)", argument: "frame")
        }
        let dims = [a.n, a.c, a.h, a.w]
        guard dims == stream.dims else {
            throw .shapeMismatch("frame shape \(dims) (n, c, h, w) differs from the stream's \(stream.dims)", argument: "frame")
        }
        guard a.frame.count > 0 else { return }
        try stream.step(a.frame.address, a.out.address, layout: a.frame.layout)
    }
}
