import CSystemd
import Foundation

/// Tells the service manager about the daemon's state (`READY=1`, `STATUS=…`, `WATCHDOG=1`, …).
public protocol Notifier: Sendable {
    func notify(_ assignments: [(String, String)])
}

extension Notifier {
    public func ready(status: String) { notify([("READY", "1"), ("STATUS", status)]) }
    public func status(_ text: String) { notify([("STATUS", text)]) }
    public func watchdog() { notify([("WATCHDOG", "1")]) }
    public func stopping() { notify([("STOPPING", "1"), ("STATUS", "stopping: checkpointing running stages")]) }
    /// `RELOADING=1` must carry the monotonic time so systemd can order it against the `READY=1` that follows.
    public func reloading() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
        notify([("RELOADING", "1"), ("MONOTONIC_USEC", String(usec)), ("STATUS", "reloading configuration")])
    }
}

/// The real notifier: a datagram on `$NOTIFY_SOCKET`; does nothing when the variable is unset.
public struct SystemdNotifier: Notifier {
    public init() {}

    /// Sends `KEY=value` lines. The corresponding C function is `sd_notify`.
    public func notify(_ assignments: [(String, String)]) {
        let text = assignments.map { "\($0)=\($1.replacingOccurrences(of: "\n", with: " "))" }.joined(separator: "\n")
        _ = sd_notify(0, text)
    }

    /// The watchdog interval systemd asks for (`WatchdogSec=`), or nil when it is off.
    /// The corresponding C function is `sd_watchdog_enabled`.
    public static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
