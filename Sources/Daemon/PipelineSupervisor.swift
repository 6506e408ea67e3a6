import ControlProtocol
import Foundation
import Logging
import PipelineCore

/// Keeps the pipelines of the watched folders up to date: validates every new or changed file, queues runs
/// (at most `maxConcurrentRuns` at once), cancels the run of a removed file, and answers status queries.
public actor PipelineSupervisor {
    struct Entry {
        var file: String
        /// SHA-256 of the file's bytes when last read: rewriting identical bytes changes nothing.
        var digest: String?
        var pipeline: ValidatedPipeline?
        var diagnostics: [Diagnostic] = []
        var state: PipelineStatus.State = .queued
        var task: Task<Void, Never>?
        var runAgain = false
        /// The configuration changed while it ran: validate it again once the run is over.
        var revalidate = false
        var lastStatus: RunRecord.Status?
    }

    private var entries: [String: Entry] = [:]
    private var queue: [String] = []
    private var configuration: DaemonConfiguration
    private var validator: PipelineValidator
    private let engine: Engine
    private let logger: Logger
    let board: LiveBoard
    private var stopping = false

    public init(
        configuration: DaemonConfiguration, engine: Engine, registry: PluginRegistry, logger: Logger,
        notifier: any Notifier
    ) {
        self.configuration = configuration
        self.engine = engine
        self.logger = logger
        self.validator = PipelineValidator(registry: registry, resolver: DataResolver(allowedRoots: configuration.dataRoots))
        self.board = LiveBoard(notifier: notifier, logger: logger, progressInterval: configuration.progressLogInterval)
    }

    /// Applies a new configuration and plugin set (on reload), then looks at every file again.
    public func reconfigure(_ configuration: DaemonConfiguration, registry: PluginRegistry) {
        self.configuration = configuration
        validator = PipelineValidator(registry: registry, resolver: DataResolver(allowedRoots: configuration.dataRoots))
        // Plugins or data roots may differ: validate every file again — but never interrupt a running stage for
        // that; a running pipeline is revalidated when its run ends.
        for (file, entry) in entries {
            if entry.task != nil { entries[file]?.revalidate = true } else { entries[file]?.digest = nil }
        }
        rescan()
    }

    /// Reconciles with the folders: new and changed files are validated, vanished ones removed.
    public func rescan() {
        let present = Set(PipelineWatcher.scan(configuration.pipelineDirectories))
        for file in entries.keys where !present.contains(file) { removed(file) }
        for file in present.sorted() { changed(file) }
        refreshStatus()
    }

    public func handle(_ event: WatchEvent) {
        switch event {
        case .changed(let file): changed(file)
        case .removed(let file): removed(file)
        case .rescan: rescan()
        }
        refreshStatus()
    }

    private func changed(_ file: String) {
        guard !stopping else { return }
        guard let data = FileManager.default.contents(atPath: file) else { return removed(file) }
        let digest = FileDigester.sha256(data: data)
        var entry = entries[file] ?? Entry(file: file)
        if entry.digest == digest { return }
        entry.digest = digest
        var log = logger
        log[metadataKey: "PIPELINE_FILE"] = "\(file)"
        do {
            let pipeline = try validator.validate(text: String(decoding: data, as: UTF8.self), file: file)
            if let other = entries.values.first(where: { $0.file != file && $0.pipeline?.name == pipeline.name }) {
                throw PipelineInvalid([
                    Diagnostic(
                        SourceLocation(file: file, line: 1, column: 1),
                        "pipeline name '\(pipeline.name)' is already used by \(other.file)",
                        hint: "give one of them another 'name:'")
                ])
            }
            entry.pipeline = pipeline
            entry.diagnostics = []
            log[metadataKey: "PIPELINE"] = "\(pipeline.name)"
            log.info("pipeline \(pipeline.name) accepted from \(file): \(pipeline.stages.count) stages")
            entries[file] = entry
            if let task = entry.task {
                entries[file]?.runAgain = true
                task.cancel()  // the run's completion re-queues it with the new content
            } else {
                enqueue(file)
            }
        } catch let invalid as PipelineInvalid {
            entry.pipeline = nil
            entry.diagnostics = invalid.diagnostics
            entry.state = .rejected
            entries[file] = entry
            entry.task?.cancel()
            for d in invalid.diagnostics {
                log.error(
                    "pipeline rejected: \(d.description)",
                    metadata: ["MESSAGE_ID": "\(MessageID.pipelineRejected)"])
            }
        } catch {
            entry.state = .rejected
            entry.diagnostics = [Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")]
            entries[file] = entry
            log.error("pipeline rejected: \(error)", metadata: ["MESSAGE_ID": "\(MessageID.pipelineRejected)"])
        }
    }

    private func removed(_ file: String) {
        guard let entry = entries.removeValue(forKey: file) else { return }
        queue.removeAll { $0 == file }
        if let task = entry.task {
            logger.notice(
                "pipeline file \(file) removed: cancelling its run",
                metadata: entry.pipeline.map { ["PIPELINE": "\($0.name)"] } ?? [:])
            task.cancel()
        } else {
            logger.info("pipeline file \(file) removed")
        }
    }

    private func enqueue(_ file: String) {
        guard entries[file]?.pipeline != nil, !queue.contains(file), !stopping else { return }
        entries[file]?.state = .queued
        queue.append(file)
        startRuns()
    }

    private func startRuns() {
        while !stopping, entries.values.filter({ $0.task != nil }).count < configuration.maxConcurrentRuns,
            !queue.isEmpty
        {
            let file = queue.removeFirst()
            guard let pipeline = entries[file]?.pipeline else { continue }
            entries[file]?.state = .running
            entries[file]?.runAgain = false
            let observer = DaemonRunObserver(pipeline: pipeline.name, logger: logger, board: board)
            let engine = self.engine
            entries[file]?.task = Task {
                let record = try? await engine.run(pipeline, observer: observer)
                await self.finished(file, record: record)
            }
        }
        refreshStatus()
    }

    private func finished(_ file: String, record: RunRecord?) {
        guard var entry = entries[file] else { return startRuns() }
        entry.task = nil
        entry.lastStatus = record?.status ?? .failed
        entry.state = entry.pipeline == nil ? .rejected : .idle
        if entry.revalidate {
            entry.revalidate = false
            entry.digest = nil
        }
        entries[file] = entry
        if entry.digest == nil {
            changed(file)
        } else if entry.runAgain {
            enqueue(file)
        }
        startRuns()
    }

    // MARK: Control

    public func status(pipeline name: String?) -> [PipelineStatus] {
        entries.values.sorted { $0.file < $1.file }.filter { name == nil || $0.pipeline?.name == name }.map { e in
            let live = e.pipeline.flatMap { board.record(for: $0.name) }
            return PipelineStatus(
                file: e.file, name: e.pipeline?.name, state: e.state, diagnostics: e.diagnostics.map(\.description),
                runID: live?.runID, lastRun: e.lastStatus?.rawValue,
                stages: live?.stages.map {
                    PipelineStatus.Stage(
                        name: $0.name, plugin: $0.plugin, status: $0.status.rawValue, done: $0.progress?.done,
                        total: $0.progress?.total, unit: $0.progress?.unit, metrics: $0.metrics, error: $0.error,
                        seconds: $0.seconds)
                } ?? e.pipeline?.stages.values.map { PipelineStatus.Stage(name: $0.name, plugin: $0.plugin.description.name, status: "pending") } ?? [])
        }
    }

    /// Cancels the active run of the pipeline named `name`; false if there is none.
    public func cancel(pipeline name: String) -> Bool {
        guard let file = entries.first(where: { $0.value.pipeline?.name == name })?.key else { return false }
        queue.removeAll { $0 == file }
        guard let task = entries[file]?.task else { return entries[file]?.state == .queued }
        entries[file]?.runAgain = false
        task.cancel()
        return true
    }

    /// Queues another run of the pipeline named `name`; false if no valid pipeline has that name.
    public func rerun(pipeline name: String) -> Bool {
        guard let file = entries.first(where: { $0.value.pipeline?.name == name })?.key else { return false }
        if entries[file]?.task != nil {
            entries[file]?.runAgain = true
        } else {
            enqueue(file)
        }
        return true
    }

    /// Stops everything: running stages are asked to checkpoint and exit; returns when all runs ended.
    public func shutdown() async {
        stopping = true
        queue.removeAll()
        let tasks = entries.values.compactMap(\.task)
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// A heartbeat for the watchdog: answering proves the actor is not stuck.
    public func heartbeat() -> Bool { true }

    private func refreshStatus() {
        let valid = entries.values.filter { $0.pipeline != nil }
        let rejected = entries.count - valid.count
        let failed = valid.filter { $0.lastStatus == .failed && $0.task == nil }.count
        let upToDate = valid.filter { $0.lastStatus == .succeeded && $0.task == nil }.count
        var idle = "idle, \(upToDate) pipeline\(upToDate == 1 ? "" : "s") up to date"
        if failed > 0 { idle += ", \(failed) failed" }
        if rejected > 0 { idle += ", \(rejected) rejected" }
        if !queue.isEmpty { idle += ", \(queue.count) queued" }
        board.setIdleStatus(idle)
    }
}

