import Foundation
import Logging
import Testing

@testable import Daemon

/// The fields the journal handler sends (the real journal is checked by the systemd end-to-end test).
@Suite struct JournalLogHandlerTests {
    final class MemorySink: JournalSink, @unchecked Sendable {
        let lock = NSLock()
        var entries: [[(String, String)]] = []
        func send(_ fields: [(String, String)]) { lock.withLock { entries.append(fields) } }
    }

    @Test func structuredFieldsAndPriority() {
        let sink = MemorySink()
        var logger = Logger(label: "t") { _ in JournalLogHandler(identifier: "finetuned", sink: sink) }
        logger[metadataKey: "PIPELINE"] = "legal"
        logger.error("stage failed", metadata: ["STAGE": "dapt", "RUN_ID": "r1", "MESSAGE_ID": "\(MessageID.runFailed)"])
        let fields = Dictionary(sink.entries[0], uniquingKeysWith: { a, _ in a })
        #expect(fields["MESSAGE"] == "stage failed")
        #expect(fields["PRIORITY"] == "3")
        #expect(fields["SYSLOG_IDENTIFIER"] == "finetuned")
        #expect(fields["PIPELINE"] == "legal")
        #expect(fields["STAGE"] == "dapt")
        #expect(fields["RUN_ID"] == "r1")
        #expect(fields["MESSAGE_ID"] == MessageID.runFailed)
        #expect(fields["CODE_LINE"] != nil)
    }

    @Test(arguments: [("pipeline", "PIPELINE"), ("run-id", "RUN_ID"), ("_secret", "SECRET"), ("sl-signal", "SL_SIGNAL")])
    func metadataKeysBecomeValidFieldNames(key: String, field: String) {
        #expect(JournalLogHandler.fieldName(key) == field)
    }

    @Test func prioritiesFollowSyslog() {
        #expect([Logger.Level.debug, .info, .notice, .warning, .error, .critical].map(\.syslogPriority) == [7, 6, 5, 4, 3, 2])
    }
}
