import Foundation
import Logging
import PipelineCore
import StageKit

/// The live state of running pipelines, fed by run observers from many tasks; keeps systemd's `STATUS=`
/// line current ("legal: finetune 340/2000 steps, loss 0.41" or "idle, 3 pipelines up to date").
public final class LiveBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [String: RunRecord] = [:]
    private var running: Set<String> = []
    private var idle = "idle"
    private var lastStatus = ""
    private var lastSent = Date.distantPast
    private var lastProgressLog: [String: Date] = [:]
    private let notifier: any Notifier
    let logger: Logger
    let progressInterval: Double

    init(notifier: any Notifier, logger: Logger, progressInterval: Double) {
        self.notifier = notifier
        self.logger = logger
        self.progressInterval = progressInterval
    }

    func record(for pipeline: String) -> RunRecord? { lock.withLock { records[pipeline] } }

    func setIdleStatus(_ text: String) {
        lock.withLock { idle = text }
        publish(force: true)
    }

    func update(_ pipeline: String, running isRunning: Bool? = nil, _ body: (inout RunRecord) -> Void) {
        lock.withLock {
            if var r = records[pipeline] {
                body(&r)
                records[pipeline] = r
            }
            if let isRunning {
                if isRunning { running.insert(pipeline) } else { running.remove(pipeline) }
            }
        }
        publish(force: isRunning != nil)
    }

    func start(_ record: RunRecord) {
        lock.withLock {
            records[record.pipeline] = record
            running.insert(record.pipeline)
        }
        publish(force: true)
    }

    /// Whether the journal should get a progress summary for this stage now (at most one per interval).
    func shouldLogProgress(_ key: String) -> Bool {
        lock.withLock {
            if Date().timeIntervalSince(lastProgressLog[key] ?? .distantPast) < progressInterval { return false }
            lastProgressLog[key] = Date()
            return true
        }
    }

    /// The status line: running pipelines first, else the idle summary.
    public var statusLine: String {
        lock.withLock {
            let active = running.sorted().compactMap { name -> String? in
                guard let r = records[name], let stage = r.stages.first(where: { $0.status == .running }) else {
                    return records[name].map { "\($0.pipeline): starting" }
                }
                return "\(name): \(LiveBoard.describe(stage))"
            }
            return active.isEmpty ? idle : active.joined(separator: "; ")
        }
    }

    static func describe(_ stage: RunRecord.Stage) -> String {
        var text = stage.name
        if let p = stage.progress {
            text += " \(p.done)" + (p.total.map { "/\($0)" } ?? "") + " \(p.unit)s"
        }
        if let loss = stage.metrics["loss"] { text += String(format: ", loss %.3g", loss) }
        return text
    }

    /// Sends `STATUS=` when it changed, at most once a second unless forced.
    private func publish(force: Bool) {
        let line = statusLine
        let send: Bool = lock.withLock {
            guard line != lastStatus, force || Date().timeIntervalSince(lastSent) >= 1 else { return false }
            lastStatus = line
            lastSent = Date()
            return true
        }
        if send { notifier.status(line) }
    }
}

/// Relays one run's engine events to the journal (with PIPELINE, STAGE, RUN_ID fields) and the live board.
final class DaemonRunObserver: RunObserver, @unchecked Sendable {
    private let pipeline: String
    private let board: LiveBoard
    private var logger: Logger
    private let lock = NSLock()

    init(pipeline: String, logger: Logger, board: LiveBoard) {
        self.pipeline = pipeline
        self.board = board
        var log = logger
        log[metadataKey: "PIPELINE"] = "\(pipeline)"
        self.logger = log
    }

    func handle(_ event: EngineEvent) {
        switch event {
        case .runStarted(let record):
            lock.withLock { logger[metadataKey: "RUN_ID"] = "\(record.runID)" }
            board.start(record)
            log(.notice, "run \(record.runID) of \(pipeline) started: \(record.stages.count) stages", id: MessageID.runStarted)
        case .stageStarted(let stage, let key, let resumed):
            board.update(pipeline) { r in r.set(stage) { $0.status = .running } }
            log(.info, "\(stage): running\(resumed ? ", resuming from its checkpoint" : "") (key \(key.prefix(12)))", stage: stage)
        case .stageCached(let stage, _):
            log(.info, "\(stage): cached", stage: stage)
        case .stageEvent(let stage, let event):
            switch event {
            case .progress(let done, let total, let unit, _):
                board.update(pipeline) { r in r.set(stage) { $0.progress = .init(done: done, total: total, unit: unit) } }
                if board.shouldLogProgress(pipeline + "/" + stage) || done == total,
                    let s = board.record(for: pipeline)?.stage(stage)
                {
                    log(.info, LiveBoard.describe(s), stage: stage)
                }
            case .metric(let name, let value, _, let task):
                board.update(pipeline) { r in r.set(stage) { $0.metrics[task.map { "\($0)/\(name)" } ?? name] = value } }
            case .log(let level, let message):
                log(level.loggerLevel, message, stage: stage)
            case .error(let message):
                log(.error, message, stage: stage)
            case .checkpoint(let step):
                log(.debug, "checkpoint at step \(step)", stage: stage)
            default:
                break
            }
        case .stageFinished(let stage, let s):
            board.update(pipeline) { r in r.set(stage) { $0 = s } }
            guard s.status != .cached else { return }
            var text = "\(stage): \(s.status.rawValue)"
            if let seconds = s.seconds { text += String(format: " in %.1fs", seconds) }
            if let error = s.error { text += ": \(error)" }
            if let reason = s.reason { text += " (\(reason))" }
            log(s.status == .failed ? .error : .info, text, stage: stage)
        case .runFinished(let record):
            board.update(pipeline, running: false) { $0 = record }
            let ran = record.stages.filter { $0.status == .succeeded }.count
            let cached = record.stages.filter { $0.status == .cached }.count
            let text = "run \(record.runID) of \(pipeline) \(record.status.rawValue): \(ran) ran, \(cached) cached"
            switch record.status {
            case .succeeded: log(.notice, text, id: MessageID.runSucceeded)
            case .failed: log(.error, text, id: MessageID.runFailed)
            case .cancelled, .running: log(.warning, text, id: MessageID.runCancelled)
            }
        }
    }

    private func log(_ level: Logger.Level, _ message: String, stage: String? = nil, id: String? = nil) {
        var metadata: Logger.Metadata = [:]
        if let stage { metadata["STAGE"] = "\(stage)" }
        if let id { metadata["MESSAGE_ID"] = "\(id)" }
        let log = lock.withLock { logger }
        log.log(level: level, "\(message)", metadata: metadata)
    }
}

extension RunRecord {
    mutating func set(_ stage: String, _ body: (inout Stage) -> Void) {
        if let i = stages.firstIndex(where: { $0.name == stage }) { body(&stages[i]) }
    }
}

extension StageLogLevel {
    var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
