import ControlProtocol
import Foundation
import Logging
import PipelineCore

/// Keeps the pipelines of the watched folders up to date: validates every new or changed file, queues runs
/// (at most `maxConcurrentRuns` at once), cancels the run of a removed file, and answers status queries.
///
/// Reading and validating a file is work a hostile file controls, so it never runs on this actor: it runs on
/// a dispatch thread (at most ``maxConcurrentValidations`` at once) under a deadline, and the actor only
/// applies the outcome. The actor therefore always answers the watchdog and the control socket promptly.
public actor PipelineSupervisor {
    /// Where one pipeline file is in its life. One enum, so that no combination of flags can say two things.
    enum Phase {
        /// First seen; its validation is out.
        case validating
        /// Invalid. `retry`: every problem is a missing file, so it is validated again every
        /// `revalidate_interval` and accepted once the files exist.
        case rejected([Diagnostic], retry: Bool)
        /// Valid; its last run (if any) is over.
        case idle(ValidatedPipeline)
        /// Valid and waiting for a run slot.
        case queued(ValidatedPipeline)
        /// Running `pipeline`; `next` is what it becomes when the run ends.
        case running(ValidatedPipeline, Task<Void, Never>, next: AfterRun)

        var pipeline: ValidatedPipeline? {
            switch self {
            case .idle(let p), .queued(let p), .running(let p, _, _): p
            case .validating, .rejected: nil
            }
        }
    }

    /// What a running pipeline does once its run ends.
    enum AfterRun {
        /// Rest (idle).
        case rest
        /// Run the same pipeline again (`rerun` while running).
        case runAgain
        /// The file changed and is valid: run the new content.
        case replace(ValidatedPipeline)
        /// The file changed and is invalid.
        case reject([Diagnostic], retry: Bool)
        /// Configuration or plugins changed: validate the file again.
        case revalidate
    }

    struct Entry {
        var file: String
        /// SHA-256 of the file's bytes when last validated: rewriting identical bytes changes nothing.
        var digest: String?
        var phase: Phase
        /// The validation job whose outcome this entry waits for (later changes supersede earlier jobs).
        var job: Int?
        var lastStatus: RunRecord.Status?
    }

    /// The outcome of reading and validating one file, computed off the actor.
    enum Validation: Sendable {
        case unchanged
        case vanished
        case valid(ValidatedPipeline, digest: String)
        case invalid([Diagnostic], retry: Bool, digest: String?)
    }

    /// Validations running at once (each on a dispatch thread).
    static let maxConcurrentValidations = 2

    private var entries: [String: Entry] = [:]
    private var runQueue: [String] = []
    private var validationQueue: [String] = []
    private var activeValidations = 0
    private var jobs = 0
    private var retryTask: Task<Void, Never>?
    private var configuration: DaemonConfiguration
    private var validator: PipelineValidator
    private let engine: Engine
    private let logger: Logger
    let board: LiveBoard
    private var stopping = false
    /// How long one file's validation may take before it is rejected as too expensive (`validation_timeout`).
    var validationTimeout: Duration { .milliseconds(Int64((configuration.validationTimeout * 1000).rounded())) }

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
            if case .running(let p, let task, _) = entry.phase {
                entries[file]?.phase = .running(p, task, next: .revalidate)
            } else {
                entries[file]?.digest = nil
            }
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

    // MARK: Validation

    /// Sends the file to be validated; its outcome arrives in ``validated(_:job:_:)``.
    private func changed(_ file: String) {
        guard !stopping else { return }
        if entries[file] == nil { entries[file] = Entry(file: file, phase: .validating) }
        jobs += 1
        entries[file]?.job = jobs
        if !validationQueue.contains(file) { validationQueue.append(file) }
        startValidations()
    }

    private func startValidations() {
        while activeValidations < Self.maxConcurrentValidations, !validationQueue.isEmpty {
            let file = validationQueue.removeFirst()
            guard let entry = entries[file], let job = entry.job else { continue }
            activeValidations += 1
            let validator = self.validator, previous = entry.digest, timeout = validationTimeout
            Task.detached {
                let outcome = await Self.validate(file, validator: validator, previousDigest: previous, timeout: timeout)
                await self.validated(file, job: job, outcome)
            }
        }
    }

    /// Reads and validates `file` on a dispatch thread; past `timeout` the file is rejected (the thread is left
    /// to finish: the resolver's own budget ends it).
    static func validate(
        _ file: String, validator: PipelineValidator, previousDigest: String?, timeout: Duration
    ) async -> Validation {
        let work: @Sendable () -> Validation = {
            let bytes: [UInt8]
            do {
                bytes = try BoundedFile.read(file, maxBytes: YAMLLimits.pipeline.maxBytes, followSymlinks: false)
            } catch let failure as BoundedFile.Failure {
                if case .cannotOpen = failure, access(file, F_OK) != 0 { return .vanished }
                return .invalid([Diagnostic(SourceLocation(file: file, line: 1, column: 1), failure.description)], retry: false, digest: nil)
            } catch {
                return .invalid([Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")], retry: false, digest: nil)
            }
            let digest = FileDigester.sha256(data: Data(bytes))
            if digest == previousDigest { return .unchanged }
            do {
                return .valid(try validator.validate(bytes: bytes, file: file), digest: digest)
            } catch let invalid as PipelineInvalid {
                return .invalid(invalid.diagnostics, retry: invalid.onlyMissingFiles, digest: digest)
            } catch {
                return .invalid([Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")], retry: false, digest: digest)
            }
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let outcome: Validation? = await withCheckedContinuation { continuation in
            let once = Once()
            DispatchQueue.global().async {
                let result = work()
                if once.claim() { continuation.resume(returning: result) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                if once.claim() { continuation.resume(returning: nil) }
            }
        }
        return outcome ?? .invalid(
            [
                Diagnostic(
                    SourceLocation(file: file, line: 1, column: 1), "validation did not finish within \(timeout)",
                    hint: "name narrower data patterns")
            ], retry: false, digest: nil)
    }

    private func validated(_ file: String, job: Int, _ outcome: Validation) {
        activeValidations -= 1
        defer {
            startValidations()
            refreshStatus()
        }
        guard !stopping, var entry = entries[file], entry.job == job else { return }  // superseded or removed
        entry.job = nil
        var log = logger
        log[metadataKey: "PIPELINE_FILE"] = "\(file)"
        switch outcome {
        case .unchanged:
            entries[file] = entry
        case .vanished:
            entries[file] = entry
            removed(file)
        case .valid(let pipeline, let digest):
            if let other = entries.values.first(where: { $0.file != file && $0.phase.pipeline?.name == pipeline.name }) {
                entries[file] = entry
                let d = Diagnostic(
                    SourceLocation(file: file, line: 1, column: 1),
                    "pipeline name '\(pipeline.name)' is already used by \(other.file)", hint: "give one of them another 'name:'")
                return reject(file, [d], retry: false, digest: digest, log: log)
            }
            entry.digest = digest
            log[metadataKey: "PIPELINE"] = "\(pipeline.name)"
            log.info("pipeline \(pipeline.name) accepted from \(file): \(pipeline.stages.count) stages")
            if case .running(let old, let task, _) = entry.phase {
                entry.phase = .running(old, task, next: .replace(pipeline))
                entries[file] = entry
                task.cancel()  // the run's end starts the new content
            } else {
                entry.phase = .idle(pipeline)
                entries[file] = entry
                enqueue(file)
            }
        case .invalid(let diagnostics, let retry, let digest):
            entries[file] = entry
            reject(file, diagnostics, retry: retry, digest: digest, log: log)
        }
    }

    private func reject(_ file: String, _ diagnostics: [Diagnostic], retry: Bool, digest: String?, log: Logger) {
        guard var entry = entries[file] else { return }
        entry.digest = digest
        runQueue.removeAll { $0 == file }
        if case .running(let p, let task, _) = entry.phase {
            entry.phase = .running(p, task, next: .reject(diagnostics, retry: retry))
            task.cancel()
        } else {
            entry.phase = .rejected(diagnostics, retry: retry)
        }
        entries[file] = entry
        for d in diagnostics {
            log.error("pipeline rejected: \(d.description)", metadata: ["MESSAGE_ID": "\(MessageID.pipelineRejected)"])
        }
        if retry { scheduleRetry() }
    }

    /// Files rejected only for missing files are validated again after `revalidate_interval`.
    private func scheduleRetry() {
        guard retryTask == nil, !stopping else { return }
        let interval = configuration.revalidateInterval
        retryTask = Task {
            try? await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
            self.retryWaiting()
        }
    }

    private func retryWaiting() {
        retryTask = nil
        for (file, entry) in entries {
            if case .rejected(_, retry: true) = entry.phase {
                entries[file]?.digest = nil
                changed(file)
            }
        }
    }

    // MARK: Runs

    private func removed(_ file: String) {
        guard let entry = entries.removeValue(forKey: file) else { return }
        runQueue.removeAll { $0 == file }
        validationQueue.removeAll { $0 == file }
        if case .running(let pipeline, let task, _) = entry.phase {
            logger.notice("pipeline file \(file) removed: cancelling its run", metadata: ["PIPELINE": "\(pipeline.name)"])
            task.cancel()
        } else {
            logger.info("pipeline file \(file) removed")
        }
    }

    private func enqueue(_ file: String) {
        guard !stopping, let entry = entries[file], case .idle(let pipeline) = entry.phase else { return }
        entries[file]?.phase = .queued(pipeline)
        runQueue.append(file)
        startRuns()
    }

    private func startRuns() {
        while !stopping, runningCount < configuration.maxConcurrentRuns, !runQueue.isEmpty {
            let file = runQueue.removeFirst()
            guard let entry = entries[file], case .queued(let pipeline) = entry.phase else { continue }
            let observer = DaemonRunObserver(pipeline: pipeline.name, logger: logger, board: board)
            let engine = self.engine
            let task = Task {
                let record = try? await engine.run(pipeline, observer: observer)
                self.finished(file, record: record)
            }
            entries[file]?.phase = .running(pipeline, task, next: .rest)
        }
        refreshStatus()
    }

    private var runningCount: Int {
        entries.values.count { if case .running = $0.phase { true } else { false } }
    }

    private func finished(_ file: String, record: RunRecord?) {
        defer { startRuns() }
        guard var entry = entries[file], case .running(let pipeline, _, let next) = entry.phase else { return }
        entry.lastStatus = record?.status ?? .failed
        switch next {
        case .rest:
            entry.phase = .idle(pipeline)
            entries[file] = entry
        case .runAgain:
            entry.phase = .idle(pipeline)
            entries[file] = entry
            enqueue(file)
        case .replace(let fresh):
            entry.phase = .idle(fresh)
            entries[file] = entry
            enqueue(file)
        case .reject(let diagnostics, let retry):
            entry.phase = .rejected(diagnostics, retry: retry)
            entries[file] = entry
            if retry { scheduleRetry() }
        case .revalidate:
            entry.phase = .idle(pipeline)
            entry.digest = nil
            entries[file] = entry
            changed(file)
        }
    }

    // MARK: Control

    public func status(pipeline name: String?) -> [PipelineStatus] {
        entries.values.sorted { $0.file < $1.file }.filter { name == nil || $0.phase.pipeline?.name == name }.map { e in
            let pipeline = e.phase.pipeline
            let live = pipeline.flatMap { board.record(for: $0.name) }
            let state: PipelineStatus.State
            var diagnostics: [Diagnostic] = []
            switch e.phase {
            case .validating: state = .validating
            case .rejected(let d, _):
                state = .rejected
                diagnostics = d
            case .idle: state = .idle
            case .queued: state = .queued
            case .running: state = .running
            }
            return PipelineStatus(
                file: e.file, name: pipeline?.name, state: state, diagnostics: diagnostics.map(\.description),
                runID: live?.runID, lastRun: e.lastStatus?.rawValue,
                stages: live?.stages.map {
                    PipelineStatus.Stage(
                        name: $0.name, plugin: $0.plugin, status: $0.status.rawValue, done: $0.progress?.done,
                        total: $0.progress?.total, unit: $0.progress?.unit, metrics: $0.metrics, error: $0.error,
                        seconds: $0.seconds)
                } ?? pipeline?.stages.values.map { PipelineStatus.Stage(name: $0.name, plugin: $0.plugin.description.name, status: "pending") } ?? [])
        }
    }

    /// Stops the pipeline named `name`: a queued one leaves the queue, a running one is cancelled (its stages
    /// checkpoint). False if it is neither.
    public func cancel(pipeline name: String) -> Bool {
        guard let file = entries.first(where: { $0.value.phase.pipeline?.name == name })?.key, let entry = entries[file]
        else { return false }
        switch entry.phase {
        case .queued(let pipeline):
            runQueue.removeAll { $0 == file }
            entries[file]?.phase = .idle(pipeline)
            entries[file]?.lastStatus = .cancelled
            refreshStatus()
            return true
        case .running(let pipeline, let task, _):
            entries[file]?.phase = .running(pipeline, task, next: .rest)
            task.cancel()
            return true
        default:
            return false
        }
    }

    /// Queues another run of the pipeline named `name`; false if no valid pipeline has that name.
    public func rerun(pipeline name: String) -> Bool {
        guard let file = entries.first(where: { $0.value.phase.pipeline?.name == name })?.key, let entry = entries[file]
        else { return false }
        switch entry.phase {
        case .running(let pipeline, let task, .rest):
            entries[file]?.phase = .running(pipeline, task, next: .runAgain)
        case .idle:
            enqueue(file)
        default:
            break  // queued already, or a change is pending that runs when the current run ends
        }
        return true
    }

    /// Stops everything: running stages are asked to checkpoint and exit; returns when all runs ended.
    public func shutdown() async {
        stopping = true
        runQueue.removeAll()
        validationQueue.removeAll()
        retryTask?.cancel()
        var tasks: [Task<Void, Never>] = []
        for entry in entries.values { if case .running(_, let task, _) = entry.phase { tasks.append(task) } }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Whether no validation is queued or running (tests wait for it).
    var validationsSettled: Bool { activeValidations == 0 && validationQueue.isEmpty && entries.values.allSatisfy { $0.job == nil } }

    /// A heartbeat for the watchdog: answering proves the actor is not stuck.
    public func heartbeat() -> Bool { true }

    private func refreshStatus() {
        var rejected = 0, failed = 0, upToDate = 0
        for entry in entries.values {
            switch entry.phase {
            case .rejected: rejected += 1
            case .validating: break
            case .idle:
                if entry.lastStatus == .failed { failed += 1 }
                if entry.lastStatus == .succeeded { upToDate += 1 }
            case .queued, .running: break
            }
        }
        var idle = "idle, \(upToDate) pipeline\(upToDate == 1 ? "" : "s") up to date"
        if failed > 0 { idle += ", \(failed) failed" }
        if rejected > 0 { idle += ", \(rejected) rejected" }
        if !runQueue.isEmpty { idle += ", \(runQueue.count) queued" }
        board.setIdleStatus(idle)
    }
}

/// A flag that can be claimed once, from any thread (to resume a continuation exactly once).
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool {
        lock.withLock {
            defer { claimed = true }
            return !claimed
        }
    }
}
