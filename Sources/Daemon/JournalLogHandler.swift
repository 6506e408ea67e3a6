import CSystemd
import Foundation
import Logging

/// Where journal entries go: the real journal, or a test's memory.
public protocol JournalSink: Sendable {
    /// Sends one entry made of `FIELD=value` pairs.
    func send(_ fields: [(String, String)])
}

/// The systemd journal's native protocol. The corresponding C function is `sd_journal_sendv`.
public struct SystemdJournal: JournalSink {
    public init() {}

    public func send(_ fields: [(String, String)]) {
        var buffer = [UInt8]()
        var ranges: [Range<Int>] = []
        for (key, value) in fields {
            let start = buffer.count
            buffer.append(contentsOf: Array(key.utf8))
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: Array(value.utf8))
            ranges.append(start..<buffer.count)
        }
        buffer.withUnsafeMutableBytes { raw in
            var vectors = ranges.map { iovec(iov_base: raw.baseAddress! + $0.lowerBound, iov_len: $0.count) }
            _ = sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }
}

/// A swift-log handler that writes structured journal entries: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`,
/// `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, and every metadata key upper-cased as its own field, so
/// `journalctl -u finetuned PIPELINE=legal` filters by pipeline.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let identifier: String
    let sink: any JournalSink

    public init(identifier: String, sink: any JournalSink = SystemdJournal()) {
        self.identifier = identifier
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("MESSAGE", event.message.description), ("PRIORITY", String(event.level.syslogPriority)),
            ("SYSLOG_IDENTIFIER", identifier), ("CODE_FILE", event.file), ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields.append((JournalLogHandler.fieldName(key), "\(value)"))
        }
        sink.send(fields)
    }

    /// Journal field names: upper-case letters, digits and underscores, not starting with an underscore.
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "_" })
        while name.hasPrefix("_") { name.removeFirst() }
        return name.isEmpty ? "FIELD" : name
    }
}

/// Plain standard-error logging with `<N>` syslog-priority prefixes, which journald understands when it
/// captures the stream, and a person can read when it does not.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let suffix = all.isEmpty ? "" : " " + all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: " ")
        FileHandle.standardError.write(Data("<\(event.level.syslogPriority)>\(event.message)\(suffix)\n".utf8))
    }
}

extension Logger.Level {
    /// syslog(3) priority: 7 debug … 2 critical.
    var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

/// Whether standard error is connected to the journal (systemd sets `JOURNAL_STREAM=dev:inode` for it).
public func stderrIsJournal() -> Bool {
    guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
    let parts = value.split(separator: ":")
    var st = stat()
    guard parts.count == 2, fstat(STDERR_FILENO, &st) == 0 else { return false }
    return UInt64(parts[0]) == UInt64(st.st_dev) && UInt64(parts[1]) == UInt64(st.st_ino)
}

/// `MESSAGE_ID`s of the key events (`journalctl MESSAGE_ID=…`), stable across versions; see docs/daemon.md.
public enum MessageID {
    public static let runStarted = "3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a01"
    public static let runSucceeded = "3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a02"
    public static let runFailed = "3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a03"
    public static let runCancelled = "3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a04"
    public static let pipelineRejected = "3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a05"
    public static let daemonReady = "3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a06"
}
