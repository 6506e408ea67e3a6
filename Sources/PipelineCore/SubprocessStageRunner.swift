import Foundation
import StageKit
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Runs plugins as child processes speaking the JSON-lines protocol (docs/plugin-protocol.md).
///
/// Plugins are spawned with swift-subprocess, which resets the signal mask (a child started from async code by
/// Foundation's `Process` inherits libdispatch's blocked SIGTERM). Each plugin gets its own session, so a
/// Ctrl-C in the terminal reaches the engine, which then stops the plugin in order.
///
/// Signals go to the plugin's whole process group (its session), so workers it started — mpirun ranks, Python
/// processes — stop with it; when the plugin itself has exited, whatever is left of its group is killed, so a
/// straggler cannot hold its output open forever. A protocol violation gets SIGTERM, then SIGKILL after the
/// grace period. The plugin's stderr goes to the stage log through the engine, at most ``maxLogBytes``.
public struct SubprocessStageRunner: StageRunner {
    /// Time between SIGTERM and SIGKILL when a stage is cancelled or times out.
    public var gracePeriod: Duration
    /// How long `describe` may take (generous: on a loaded machine a debug build can need seconds to start).
    public var describeTimeout: Duration
    /// Extra environment for every plugin (e.g. `FINETUNED_CHECKPOINT_SECONDS`).
    public var environment: [String: String]
    /// Bytes of a plugin's stderr kept in its stage log; the rest is counted and dropped.
    public var maxLogBytes: Int

    public init(
        gracePeriod: Duration = .seconds(10), describeTimeout: Duration = .seconds(30),
        environment: [String: String] = [:], maxLogBytes: Int = 64 << 20
    ) {
        self.gracePeriod = gracePeriod
        self.describeTimeout = describeTimeout
        self.environment = environment
        self.maxLogBytes = maxLogBytes
    }

    public func describe(executable: String) async throws -> PluginDescription {
        let request = try JSONEncoder.stageLine.encode(HostRequest(command: .describe)) + Data("\n".utf8)
        let config = Configuration(
            executable: .path(FilePath(executable)), platformOptions: platformOptions())
        let input = try Self.requestFile(request)
        let result = try await withDeadline(describeTimeout) {
            try await Subprocess.run(
                config, input: .fileDescriptor(input, closeAfterSpawningProcess: true), output: .string(limit: 1 << 20),
                error: .string(limit: 1 << 16))
        }
        guard let result else { throw EngineError("did not describe itself within \(describeTimeout)") }
        guard case .exited(0) = result.terminationStatus else {
            let stderr = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw EngineError("'describe' ended with \(Self.render(result.terminationStatus))\(stderr.isEmpty ? "" : ": \(stderr)")")
        }
        for line in result.standardOutput.split(separator: "\n") {
            if case .describe(let d)? = try? JSONDecoder().decode(StageEvent.self, from: Data(line.utf8)) { return d }
        }
        throw EngineError("answered 'describe' without a describe event")
    }

    public func run(
        plugin: PluginInfo, request: RunRequest, timeout: Double?, logFile: String,
        onEvent: @escaping @Sendable (StageEvent) -> Void
    ) async -> StageOutcome {
        do {
            let line = try JSONEncoder.stageLine.encode(HostRequest(command: .run, run: request)) + Data("\n".utf8)
            let log = try FileDescriptor.open(
                FilePath(logFile), .writeOnly, options: [.create, .append, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
            // Ours to close on every path, including a spawn that fails before the plugin exists.
            defer { try? log.close() }
            let maxLogBytes = self.maxLogBytes
            var environment: [Environment.Key: String?] = [
                "OPENBLAS_NUM_THREADS": String(request.threads), "OMP_NUM_THREADS": String(request.threads),
            ]
            environment["FINETUNED_STAGE"] = request.stage
            for (key, value) in self.environment { environment[Environment.Key(stringLiteral: key)] = value }
            let config = Configuration(
                executable: .path(FilePath(plugin.executable)), environment: .inherit.updating(environment),
                workingDirectory: FilePath(request.scratchDir), platformOptions: platformOptions())

            let grace = gracePeriod
            let child = ChildProcess()
            // The plugin runs in a task of its own that cancellation does not reach, so that everything it says
            // while stopping (its last checkpoint, "stopped on request") is still read; cancelling the caller
            // sends SIGTERM, then SIGKILL after the grace period.
            let execution: @Sendable () async throws -> (ProtocolState, TerminationStatus) = {
                let inner = Task.detached { try await runPlugin() }
                return try await withTaskCancellationHandler {
                    try await inner.value
                } onCancel: {
                    child.stop(grace: grace)
                }
            }
            @Sendable func runPlugin() async throws -> (ProtocolState, TerminationStatus) {
                defer { child.exited() }
                let result = try await Subprocess.run(
                    config, input: .fileDescriptor(try Self.requestFile(line), closeAfterSpawningProcess: true),
                    output: .sequence,
                    error: .sequence
                ) { execution in
                    child.started(execution.processIdentifier.value)
                    let stderr = execution.standardError
                    let copier = Task { await Self.copy(stderr, to: log, limit: maxLogBytes) }
                    defer { copier.cancel() }
                    var state = ProtocolState()
                    var number = 0
                    for try await text in execution.standardOutput.strings(bufferingPolicy: .maxLineLength(16 << 20)) {
                        number += 1
                        guard state.violation == nil else { continue }  // drain, so the plugin can exit
                        let trimmed = text.trimmingCharacters(in: .whitespaces)
                        if trimmed.isEmpty { continue }
                        do {
                            let event = try JSONDecoder().decode(StageEvent.self, from: Data(trimmed.utf8))
                            state.observe(event)
                            onEvent(event)
                        } catch {
                            state.violation =
                                "broke the protocol on output line \(number): \(String(trimmed.prefix(120)).debugDescription)"
                            child.stop(grace: grace)  // SIGTERM to its group, SIGKILL after the grace period
                        }
                    }
                    await copier.value
                    return state
                }
                return (result.closureResult, result.terminationStatus)
            }

            let finished: (ProtocolState, TerminationStatus)?
            if let timeout {
                // Validation bounds timeouts (``StageSpec/maxTimeout``); clamp again for specs built in code.
                let bounded = timeout.isFinite ? min(max(timeout, 0.001), StageSpec.maxTimeout) : StageSpec.maxTimeout
                finished = try await withDeadline(.milliseconds(Int64(bounded * 1000)), execution)
                if finished == nil { return .failed("timed out after \(Self.seconds(timeout)) and was stopped") }
            } else {
                finished = try await execution()
            }
            let (state, status) = finished!
            if Task.isCancelled, case .exited(StageProtocol.exitStoppedForResume) = status { return .stopped }
            if let violation = state.violation { return .failed(violation) }
            switch status {
            case .exited(0):
                return .succeeded(summary: state.summary ?? .object([:]))
            case .exited(StageProtocol.exitStoppedForResume):
                return .stopped
            case .exited(let code):
                return .failed(state.error ?? "exited with status \(code)\(Self.tail(of: logFile))")
            case .signaled(let signal):
                if Task.isCancelled { return .stopped }
                return .failed("\(Self.render(.signaled(signal)))\(Self.tail(of: logFile))")
            }
        } catch is CancellationError {
            return .stopped
        } catch {
            return .failed("could not run '\(plugin.executable)': \(error)")
        }
    }

    /// The request as the plugin's standard input: an unlinked temporary file rather than a pipe, so that a
    /// plugin exiting before it reads cannot fail our write (EPIPE).
    static func requestFile(_ data: Data) throws -> FileDescriptor {
        var template = Array((NSTemporaryDirectory() + "/finetuned-request.XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw EngineError("cannot create a temporary file: \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // other plugins spawned meanwhile must not inherit it
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, lseek(fd, 0, SEEK_SET) == 0 else {
            close(fd)
            throw EngineError("cannot write the plugin request: \(String(cString: strerror(errno)))")
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Copies a plugin's stderr into its log, at most `limit` bytes; past it, one note and the rest dropped
    /// (still read, so the plugin never blocks on a full pipe).
    static func copy(_ stream: SubprocessOutputSequence, to log: FileDescriptor, limit: Int) async {
        var written = 0
        var dropped = 0
        do {
            for try await chunk in stream {
                let count = chunk.count
                let kept = min(count, limit - written)
                if kept > 0 {
                    _ = chunk.withUnsafeBytes { raw in try? log.writeAll(UnsafeRawBufferPointer(rebasing: raw[0..<kept])) }
                    written += kept
                }
                dropped += count - kept
            }
        } catch {}
        if dropped > 0 {
            _ = try? log.writeAll(Array("\n[finetuned: stage log truncated at \(limit) bytes; \(dropped) more dropped]\n".utf8))
        }
    }

    private func platformOptions() -> PlatformOptions {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: gracePeriod)]
        return options
    }

    /// What the plugin has said so far.
    struct ProtocolState: Sendable {
        var summary: JSONValue?
        var error: String?
        var violation: String?

        mutating func observe(_ event: StageEvent) {
            switch event {
            case .result(let s): summary = s
            case .error(let message): error = message
            default: break
            }
        }
    }

    static func render(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal):
            let name = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGILL: "SIGILL",
                SIGBUS: "SIGBUS", SIGTRAP: "SIGTRAP", SIGFPE: "SIGFPE"][signal] ?? "signal \(signal)"
            return "crashed (killed by \(name))"
        }
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s))s" : "\(s)s" }

    /// The last lines of the stage's stderr log, to put the cause next to the failure.
    static func tail(of logFile: String) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "" }
        let lines = text.split(separator: "\n").suffix(5)
        return lines.isEmpty ? "" : "; its last output:\n    " + lines.joined(separator: "\n    ")
    }
}

/// The pid of a running plugin, to stop it: SIGTERM now, SIGKILL after a grace period unless it exited.
final class ChildProcess: @unchecked Sendable {
    private let lock = NSLock()
    private var pid: pid_t?
    private var stopRequested = false
    private var grace: Duration = .seconds(10)

    func started(_ pid: pid_t) {
        let stopNow = lock.withLock {
            self.pid = pid
            return stopRequested
        }
        if stopNow { stop(grace: grace) }  // cancelled before the process existed
        watchForExit(of: pid)
    }

    /// Once the plugin itself has exited, kills what is left of its process group: a worker it started must
    /// not hold its stdout open (the engine would wait for end-of-file forever) or outlive the stage.
    private func watchForExit(of target: pid_t) {
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { [self] in
            guard lock.withLock({ pid == target }) else { return }  // reaped and reported: the group is done
            if ChildProcess.hasExited(target) {
                ChildProcess.signalGroup(target, SIGKILL)
            } else {
                watchForExit(of: target)
            }
        }
    }

    /// Whether `pid` is a zombie or gone (read from /proc without reaping it).
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // pid (comm) state ...: the state follows the last ')' (comm may contain spaces and parentheses).
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
        return state == "Z" || state == "X"
    }

    /// The plugin leads its own session, so its process group id is its pid.
    static func signalGroup(_ pid: pid_t, _ signal: Int32) {
        guard pid > 1 else { return }
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    /// The plugin was reaped: the stage is over, and so is anything left in its process group.
    func exited() {
        let target: pid_t? = lock.withLock {
            defer { pid = nil }
            return pid
        }
        // While any member lives, the group id cannot be reused, so this reaches only the plugin's workers.
        if let target { ChildProcess.signalGroup(target, SIGKILL) }
    }

    func stop(grace: Duration) {
        let target: pid_t? = lock.withLock {
            stopRequested = true
            self.grace = grace
            return pid
        }
        guard let target else { return }
        ChildProcess.signalGroup(target, SIGTERM)
        let seconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            // Only if that same process is still running: the pid is cleared when it is reaped.
            lock.withLock { if pid == target { ChildProcess.signalGroup(target, SIGKILL) } }
        }
    }
}

/// Runs `body`, cancelling it when `limit` passes; `nil` on timeout.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        if first == nil {
            // Wait for the body to finish its teardown (SIGTERM, grace, SIGKILL) before returning.
            while let next = try? await group.next() { _ = next }
        }
        return first
    }
}
