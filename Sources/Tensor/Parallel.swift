import Dispatch

/// The engine's own thread pool control: kernels split work over batch rows or attention heads across
/// ``threads`` workers, while BLAS calls inside such loops run on one thread.
public enum Parallel {
    nonisolated(unsafe) public static var threads = 1

    /// Sets both the engine's worker count and OpenBLAS's thread count.
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        threads = count
        BLAS.setThreads(count)
    }

    /// Calls `body(range)` over a split of `0..<count` into at most ``threads`` contiguous chunks, in parallel.
    /// `minChunk` keeps small jobs on the calling thread.
    @inlinable
    public static func forRanges(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(threads, max(1, count / max(minChunk, 1)))
        if workers <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        // Kernels hand raw pointers to disjoint ranges; the closure is not Sendable-checked by construction.
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = count * w / workers
                let hi = count * (w + 1) / workers
                if lo < hi { box.value(lo..<hi) }
            }
        }
    }

    /// Runs `body` for each index in `0..<count` on the workers, with OpenBLAS limited to one thread meanwhile
    /// (two-level parallelism over a shared core collapses BLAS throughput).
    public static func forEachWithSerialBLAS(_ count: Int, _ body: (Int) -> Void) {
        if threads <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        let blasThreads = BLAS.threads
        if blasThreads != 1 { BLAS.setThreads(1) }
        defer { if blasThreads != 1 { BLAS.setThreads(blasThreads) } }
        forRanges(count) { range in
            for i in range { body(i) }
        }
    }
}

/// Carries a value into a `@Sendable` closure where the caller guarantees safe use (disjoint writes).
@usableFromInline
struct UncheckedSendable<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}
