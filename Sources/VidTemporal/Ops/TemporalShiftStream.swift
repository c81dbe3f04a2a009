#if canImport(Glibc)
import Glibc
#endif

/// Online temporal shift, one frame at a time: the state is the previous frame's first `fold`
/// channels. Stepping it over a clip reproduces `TemporalShift` in `.unidirectional` mode.
final class TemporalShiftStream {
    let dims: [Int]
    let dtype: DType
    private let batch: Int
    private let frameBytes: Int
    private let cacheBytes: Int
    private let cache: UnsafeMutableRawPointer

    /// Throws `.allocation` if the cache cannot be allocated; dims are already validated.
    init(dims: [Int], fold: Int, dtype: DType) throws(VTError) {
        let (n, c, plane) = (dims[0], dims[1], dims[2] * dims[3])
        self.dims = dims
        self.dtype = dtype
        batch = n
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
    /// frame's. frame and out must not overlap.
    func step(_ frame: UnsafeRawPointer, _ out: UnsafeMutableRawPointer) {
        let pointers = UnsafeTransfer((frame, out, cache))
        let (frameBytes, cacheBytes) = (self.frameBytes, self.cacheBytes)
        parallelFor(batch, bytesPerItem: frameBytes) { items in
            let (frame, out, cache) = pointers.value
            for item in items {
                let source = frame + item * frameBytes
                let destination = out + item * frameBytes
                let cached = cache + item * cacheBytes
                memcpy(destination, cached, cacheBytes)
                memcpy(destination + cacheBytes, source + cacheBytes, frameBytes - cacheBytes)
                memcpy(cached, source, cacheBytes)
            }
        }
    }
}

// MARK: The exported functions (their tensors are checked against the op table)

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
            throw .unsupported("the stream holds \(stream.dtype.name) frames, not \(a.dtype.name)")
        }
        let dims = [a.n, a.c, a.h, a.w]
        guard dims == stream.dims else {
            throw .shapeMismatch("frame shape \(dims) (n, c, h, w) differs from the stream's \(stream.dims)")
        }
        guard a.frame.count > 0 else { return }
        stream.step(a.frame.address, a.out.address)
    }
}
