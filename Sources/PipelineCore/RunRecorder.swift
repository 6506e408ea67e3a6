import Foundation
import StageKit

/// Keeps a run's record current on disk and tells the observer, in the order things happen.
final class RunRecorder: @unchecked Sendable {
    let runID: String
    let directory: String
    private let lock = NSLock()
    private var record: RunRecord
    private let events: FileHandle?
    private let observer: (any RunObserver)?
    private var lastSave = Date.distantPast

    init(engine: Engine, pipeline: ValidatedPipeline, observer: (any RunObserver)?) throws {
        runID = RunRecord.newID()
        let pipelineRuns = "\(engine.stateDirectory)/runs/\(pipeline.name)"
        directory = "\(pipelineRuns)/\(runID)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory + "/events.jsonl", contents: nil)
        events = FileHandle(forWritingAtPath: directory + "/events.jsonl")
        self.observer = observer
        record = RunRecord(
            runID: runID, pipeline: pipeline.name, file: pipeline.spec.file, status: .running, started: isoNow(),
            finished: nil,
            stages: pipeline.stages.values.map {
                RunRecord.Stage(
                    name: $0.name, plugin: $0.plugin.description.name, status: .pending, metrics: [:])
            })
        // `latest` points at the newest run, for `finetunectl status` and `logs`.
        let latest = pipelineRuns + "/latest"
        try? FileManager.default.removeItem(atPath: latest + ".new")
        try? FileManager.default.createSymbolicLink(atPath: latest + ".new", withDestinationPath: runID)
        rename(latest + ".new", latest)
        save(force: true)
        log(["type": "run-started", "pipeline": .string(pipeline.name), "file": .string(pipeline.spec.file)])
    }

    var snapshot: RunRecord { lock.withLock { record } }

    func status(of stage: String) -> RunRecord.Stage.Status? {
        lock.withLock { record.stage(stage)?.status }
    }

    func mark(_ stage: String, status: RunRecord.Stage.Status) {
        update(stage) { $0.status = status }
    }

    func started(_ stage: String, key: String, resumed: Bool) {
        update(stage) {
            $0.status = .running
            $0.key = key
            $0.started = isoNow()
        }
        log(["type": "stage-started", "stage": .string(stage), "key": .string(key), "resumed": .bool(resumed)])
        observer?.handle(.stageStarted(stage: stage, key: key, resumed: resumed))
    }

    func cached(_ stage: String, key: String, summary: JSONValue) {
        let s = update(stage) {
            $0.status = .cached
            $0.key = key
            $0.summary = summary
        }
        log(["type": "stage-cached", "stage": .string(stage), "key": .string(key)])
        observer?.handle(.stageCached(stage: stage, key: key))
        observer?.handle(.stageFinished(stage: stage, s))
    }

    func pluginEvent(_ stage: String, _ event: StageEvent) {
        var throttle = true
        update(stage, save: false) {
            switch event {
            case .progress(let done, let total, let unit, _): $0.progress = .init(done: done, total: total, unit: unit)
            case .metric(let name, let value, _, let task): $0.metrics[task.map { "\($0)/\(name)" } ?? name] = value
            case .checkpoint, .result, .error: throttle = false
            default: break
            }
        }
        save(force: !throttle)
        if var line = try? JSONValue(encoding: event).objectValue {
            line["type"] = .string("plugin-" + (line.removeValue(forKey: "event")?.stringValue ?? "event"))
            line["stage"] = .string(stage)
            log(line)
        }
        observer?.handle(.stageEvent(stage: stage, event))
    }

    func finish(
        _ stage: String, status: RunRecord.Stage.Status, reason: String? = nil, error: String? = nil,
        summary: JSONValue? = nil
    ) {
        let s = update(stage) {
            $0.status = status
            $0.reason = reason
            $0.error = error
            if let summary { $0.summary = summary }
            if let started = $0.started, let date = ISO8601DateFormatter.fractional.date(from: started) {
                $0.seconds = Date().timeIntervalSince(date)
            }
        }
        var line: [String: JSONValue] = ["type": .string("stage-\(status.rawValue)"), "stage": .string(stage)]
        if let reason { line["reason"] = .string(reason) }
        if let error { line["error"] = .string(error) }
        log(line)
        observer?.handle(.stageFinished(stage: stage, s))
    }

    func close(cancelled: Bool) -> RunRecord {
        let final: RunRecord = lock.withLock {
            let statuses = record.stages.map(\.status)
            if statuses.contains(.failed) {
                record.status = .failed
            } else if cancelled || statuses.contains(.stopped) || statuses.contains(.skipped) {
                record.status = .cancelled
            } else {
                record.status = .succeeded
            }
            record.finished = isoNow()
            return record
        }
        save(force: true)
        log(["type": .string("run-\(final.status.rawValue)")])
        try? events?.close()
        return final
    }

    @discardableResult
    private func update(_ stage: String, save shouldSave: Bool = true, _ body: (inout RunRecord.Stage) -> Void) -> RunRecord.Stage {
        let s: RunRecord.Stage = lock.withLock {
            let i = record.stages.firstIndex { $0.name == stage }!
            body(&record.stages[i])
            return record.stages[i]
        }
        if shouldSave { save(force: true) }
        return s
    }

    /// Rewrites run.json; progress alone rewrites it at most once a second.
    private func save(force: Bool) {
        let data: Data? = lock.withLock {
            guard force || Date().timeIntervalSince(lastSave) >= 1 else { return nil }
            lastSave = Date()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try? encoder.encode(record)
        }
        if let data { try? AtomicFile.write(data, to: directory + "/run.json") }
    }

    private func log(_ fields: [String: JSONValue]) {
        var fields = fields
        fields["time"] = .string(isoNow())
        let line = Data((JSONValue.object(fields).canonicalJSON + "\n").utf8)
        lock.withLock { events?.write(line) }
    }
}

extension ISO8601DateFormatter {
    static var fractional: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
