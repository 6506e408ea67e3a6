import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Optional per-op timing (for benchmarks): forward time is the time from the previous op's end to this op's
/// `record` call (ops record right after their kernel), backward time is each backward closure's time.
///
/// Time is the calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so a profile taken on a shared, busy machine
/// is not inflated by waiting for a core; with more than one thread, work done on other threads is not counted.
/// Off by default; costs one branch per op when off. Not thread-safe: profile one training loop at a time.
public enum Profiler {
    nonisolated(unsafe) public static var isEnabled = false
    nonisolated(unsafe) public private(set) static var forward: [String: Double] = [:]
    nonisolated(unsafe) public private(set) static var backward: [String: Double] = [:]
    nonisolated(unsafe) static var lastMark: UInt64 = 0

    /// Clears the tallies and starts the forward clock.
    public static func reset() {
        forward = [:]
        backward = [:]
        mark()
    }

    /// Restarts the forward clock (call before a forward pass so setup time is not charged to the first op).
    public static func mark() { lastMark = clock() }

    /// Nanoseconds of CPU time of the calling thread.
    public static func clock() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Charges the time since the last mark to `op` (forward) and restarts the clock.
    static func chargeForward(_ op: String) {
        let now = clock()
        forward[op, default: 0] += Double(now &- lastMark) * 1e-9
        lastMark = now
    }

    static func chargeBackward(_ op: String, since start: UInt64) {
        backward[op, default: 0] += Double(clock() &- start) * 1e-9
    }

    /// Adds externally measured time (e.g. the optimizer) under `op`.
    public static func charge(_ op: String, forward seconds: Double) { forward[op, default: 0] += seconds }

    /// Short op name from a `#function` string: `linear(_:weight:bias:layout:)` → `linear`.
    static func shortName(_ function: String) -> String {
        String(function.prefix { $0 != "(" })
    }
}
