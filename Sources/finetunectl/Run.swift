import ArgumentParser
import Foundation
import PipelineCore
import StageKit

#if canImport(Glibc)
    import Glibc
#endif

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline in the foreground: stale stages run, cached ones are reused.",
        discussion: """
            Ctrl-C (or SIGTERM) asks running stages to checkpoint and stop; the next run resumes them. \
            A second Ctrl-C exits at once.
            """)

    @OptionGroup var options: EngineOptions
    @Option(help: "Stages to run at once.") var jobs = 2
    @Option(help: "Threads each stage may use.") var threads = 1
    @Flag(help: "Print the final run record as JSON.") var json = false
    @Argument(help: ArgumentHelp("A pipeline file.", valueName: "file")) var file: String

    func run() async throws {
        guard jobs >= 1, threads >= 1 else { throw ValidationError("--jobs and --threads must be at least 1") }
        let engine = try options.engine(jobs: jobs, threads: threads)
        let pipeline = try options.load(file, with: options.validator(await options.registry(engine)))
        let printer = ProgressPrinter(interactive: isatty(STDERR_FILENO) == 1, total: pipeline.stages.count)

        let task = Task { try await engine.run(pipeline, observer: printer) }
        let interrupts = SignalTrap(signals: [SIGINT, SIGTERM]) { count in
            if count == 1 {
                printer.note("stopping: running stages checkpoint and exit (press Ctrl-C again to quit now)")
                task.cancel()
            } else {
                Glibc.exit(130)
            }
        }
        let record: RunRecord
        do {
            record = try await task.value
        } catch {
            throw failure("\(error)", code: Exit.internalError)
        }
        interrupts.cancel()
        printer.finish(record)
        if json { try printJSON(record) }
        switch record.status {
        case .succeeded: return
        case .failed: throw Exit.stageFailed
        case .cancelled, .running: throw Exit.interrupted
        }
    }
}

/// Calls `handler` with a running count each time one of `signals` arrives.
final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var count = 0

    init(signals: [Int32], handler: @escaping @Sendable (Int) -> Void) {
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            source.setEventHandler { [unowned self] in
                self.count += 1
                handler(self.count)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}

/// Shows a run as it goes: a live status line on a terminal, plain timestamped lines otherwise.
final class ProgressPrinter: RunObserver, @unchecked Sendable {
    private let interactive: Bool
    private let total: Int
    private let lock = NSLock()
    private var done = 0
    private var live: [String: String] = [:]
    private var lastPlain: [String: Date] = [:]
    private var runDirectory = ""

    init(interactive: Bool, total: Int) {
        self.interactive = interactive
        self.total = total
    }

    func handle(_ event: EngineEvent) {
        lock.withLock {
            switch event {
            case .runStarted(let record):
                line("run \(record.runID) of \(record.pipeline): \(total) stage\(total == 1 ? "" : "s")")
            case .stageStarted(let stage, let key, let resumed):
                live[stage] = "starting"
                line("\(tag(stage)) running\(resumed ? " (resuming from checkpoint)" : "") [\(key.prefix(12))]")
            case .stageCached:
                break  // reported by stageFinished
            case .stageEvent(let stage, let event):
                switch event {
                case .progress(let d, let t, let unit, let message):
                    live[stage] = bar(d, t, unit) + (message.map { " \($0)" } ?? "")
                    if !interactive, Date().timeIntervalSince(lastPlain[stage] ?? .distantPast) >= 5 || d == t {
                        lastPlain[stage] = Date()
                        line("\(tag(stage)) \(live[stage]!)")
                    }
                case .log(let level, let message) where level >= .notice || !interactive:
                    line("\(tag(stage)) \(level == .info ? "" : "\(level.rawValue): ")\(message)")
                default: break  // metrics go to events.jsonl; the terminal shows progress
                }
            case .stageFinished(let stage, let s):
                done += 1
                live[stage] = nil
                var text = "\(tag(stage)) \(s.status.rawValue)"
                if let seconds = s.seconds, s.status != .cached { text += String(format: " in %.2fs", seconds) }
                if let error = s.error { text += ": \(error)" }
                if let reason = s.reason { text += " (\(reason))" }
                line(text)
            case .runFinished(let record):
                runDirectory = record.runID
            }
            redraw()
        }
    }

    func note(_ text: String) { lock.withLock { line(text); redraw() } }

    func finish(_ record: RunRecord) {
        lock.withLock {
            clearLive()
            let cached = record.stages.filter { $0.status == .cached }.count
            let ran = record.stages.filter { $0.status == .succeeded }.count
            FileHandle.standardError.write(
                Data("\(record.status.rawValue): \(ran) ran, \(cached) cached, \(record.stages.count - ran - cached) other — run \(record.runID)\n".utf8))
        }
    }

    private func tag(_ stage: String) -> String { "[\(done)/\(total)] \(stage):" }

    private func bar(_ done: Int, _ total: Int?, _ unit: String) -> String {
        guard let total, total > 0 else { return "\(done) \(unit)s" }
        let width = 20
        let filled = min(width, done * width / total)
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(total) \(unit)s"
    }

    private func line(_ text: String) {
        clearLive()
        let stamp = interactive ? "" : ISO8601DateFormatter().string(from: Date()) + " "
        FileHandle.standardError.write(Data((stamp + text + "\n").utf8))
    }

    private func clearLive() {
        if interactive && !live.isEmpty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func redraw() {
        guard interactive, !live.isEmpty else { return }
        let text = live.keys.sorted().map { "\($0) \(live[$0]!)" }.joined(separator: " | ")
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + String(text.prefix(200))).utf8))
    }
}
