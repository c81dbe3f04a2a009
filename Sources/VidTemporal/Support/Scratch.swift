#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs body with `count` uninitialised elements of scratch memory, allocated with malloc so that
/// a failure is an error status (VT_ERR_ALLOCATION) instead of a trap. Allocate before writing
/// any output: a failed call must leave the outputs untouched.
func withScratch<T, R>(_ count: Int, of _: T.Type, _ body: (UnsafeMutablePointer<T>) throws(VTError) -> R)
    throws(VTError) -> R {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    guard !overflow, let memory = malloc(max(1, bytes)) else {
        throw .allocation("cannot allocate \(count) scratch elements")
    }
    defer { free(memory) }
    return try body(memory.bindMemory(to: T.self, capacity: count))
}
