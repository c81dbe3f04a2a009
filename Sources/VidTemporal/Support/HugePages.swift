#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks the kernel to back a large output with transparent huge pages before the first write.
/// Fresh outputs (numpy's or torch's allocations of hundreds of MB) are untouched mmap memory,
/// and faulting them in 4 KiB at a time costs more than the kernel's own writes; with 2 MiB
/// pages the faults all but vanish. Only whole 2 MiB pages inside the buffer are advised, and
/// the advice is a hint: failure changes nothing.
func adviseHugePages(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
    let page = 2 << 20
    guard bytes >= 4 * page else { return }
    let start = (Int(bitPattern: pointer) + page - 1) & ~(page - 1)
    let end = (Int(bitPattern: pointer) + bytes) & ~(page - 1)
    guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
    #if os(Linux)
    _ = madvise(address, end - start, MADV_HUGEPAGE)
    #endif
}
