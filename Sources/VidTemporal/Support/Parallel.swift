import COpenMPTasks
import CVidTemporal
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The thread count used by every call (`vt_set_num_threads`); 0 means one per online CPU. Capped
/// at VT_MAX_THREADS, so that per-thread scratch stays bounded whatever a caller asks for.
enum Threads {
    private static let requested = Atomic<Int>(0)

    /// Whether the caller chose the thread count (vt_set_num_threads with n > 0).
    static var chosen: Bool { requested.load(ordering: .relaxed) > 0 }

    static let maximum = Int(VT_MAX_THREADS)
    static let online: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    static var count: Int {
        let value = requested.load(ordering: .relaxed)
        return min(value > 0 ? value : online, maximum)
    }

    static func set(_ value: Int) { requested.store(value, ordering: .relaxed) }
}

/// Carries pointers into `concurrentPerform` closures. Safe because every task writes a range
/// of the output that no other task touches (NIO's UnsafeTransfer).
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Below this many bytes a task costs more to dispatch than to run.
private let minimumBytesPerTask = 1 << 17

/// Runs `body` over `0..<count` split into contiguous chunks, one chunk per thread, and inline
/// when the whole job moves too few bytes to be worth splitting. Chunks are disjoint, so
/// results do not depend on the thread count as long as `body` writes only what its indices own.
func parallelFor(_ count: Int, bytesPerItem: Int, _ body: @Sendable (Range<Int>) -> Void) {
    parallelTasks(count, bytesPerItem: bytesPerItem, maxTasks: Threads.count) { _, range in body(range) }
}

/// parallelFor that also passes each chunk's task index, always below `maxTasks`: for kernels
/// that hand every task its own preallocated scratch.
func parallelTasks(_ count: Int, bytesPerItem: Int, maxTasks: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: bytesPerItem)
    let worthwhile = overflow ? Int.max : max(1, bytes / minimumBytesPerTask)
    let tasks = min(maxTasks, count, worthwhile)
    guard tasks > 1 else {
        if count > 0 { body(0, 0..<count) }
        return
    }
    let run: @Sendable (Int) -> Void = { task in body(task, count * task / tasks ..< count * (task + 1) / tasks) }
    guard !runOnOpenMP(tasks, run) else { return }
    DispatchQueue.concurrentPerform(iterations: tasks, execute: run)
}

/// Runs run(task) for every task on the OpenMP threads of the process, if it has GNU OpenMP
/// loaded (torch): they spin for a while after each torch op, so tasks on Dispatch's threads
/// would share the cores with them. Returns false, running nothing, otherwise.
private func runOnOpenMP(_ tasks: Int, _ run: @Sendable (Int) -> Void) -> Bool {
    withoutActuallyEscaping(run) { run in
        var job = run
        return withUnsafeMutablePointer(to: &job) { job in
            // Unless the caller chose the thread count, the team is OpenMP's own (torch's setting).
            vts_run_on_openmp(tasks, Threads.chosen ? tasks : 0, job) { context, task in
                context!.assumingMemoryBound(to: (@Sendable (Int) -> Void).self).pointee(task)
            } != 0
        }
    }
}
