import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A stage plugin: an executable `finetuned-stage-<name>` whose `main` is this protocol's default.
///
/// ```swift
/// @main struct WordCount: StagePlugin {
///     static let description = PluginDescription(name: "wordcount", version: "1.0", summary: "…", params: …)
///     func run(_ request: RunRequest, context: StageContext) async throws { … }
/// }
/// ```
public protocol StagePlugin {
    static var description: PluginDescription { get }
    init()
    /// Runs the stage: reads `request`'s inputs, writes into `request.outputDir`, reports through `context`.
    /// Throwing fails the stage with the error's description. Long work should poll
    /// `context.stopRequested` and, when it is set, save a checkpoint and throw ``StageStopped``.
    func run(_ request: RunRequest, context: StageContext) async throws
}

/// Thrown by a plugin that stopped on request after saving a checkpoint.
public struct StageStopped: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "stopped on request" }
}

/// A stage failure with a message meant for the user.
public struct StageFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { self.description = message }
}

extension StagePlugin {
    public static func main() async {
        let context = StageContext(output: FileHandle.standardOutput)
        let code = await PluginMain.run(Self.self, arguments: CommandLine.arguments, context: context)
        exit(code)
    }
}

/// Reports a running stage's progress to the engine: one JSON line per event on standard output.
public final class StageContext: @unchecked Sendable {
    private let lock = NSLock()
    private let output: FileHandle
    private var stopFlag = false
    private var signalSource: DispatchSourceSignal?
    private var parentWatch: DispatchSourceTimer?

    public init(output: FileHandle) {
        self.output = output
    }

    /// Set once the engine asked the stage to stop (SIGTERM): checkpoint and throw ``StageStopped``.
    public var stopRequested: Bool { lock.withLock { stopFlag } }

    public func requestStop() { lock.withLock { stopFlag = true } }

    /// Writes one event line. If the engine is gone (EPIPE: it closed our stdout, or died), that is a stop
    /// request: the plugin checkpoints and exits instead of dying of SIGPIPE mid-checkpoint (FileHandle.write
    /// traps on EPIPE, so the descriptor is written directly).
    public func emit(_ event: StageEvent) {
        guard var line = try? JSONEncoder.stageLine.encode(event) else { return }
        line.append(0x0A)
        let fd = output.fileDescriptor
        let broken: Bool = lock.withLock {
            guard !outputBroken else { return true }
            var offset = 0
            while offset < line.count {
                let n = line.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    outputBroken = true
                    return true
                }
                offset += n
            }
            return false
        }
        if broken { requestStop() }
    }

    /// Set once a write to the engine failed; later events are dropped.
    private var outputBroken = false

    public func log(_ message: String, level: StageLogLevel = .info) { emit(.log(level, message)) }

    public func progress(_ done: Int, of total: Int?, unit: String = "step", message: String? = nil) {
        emit(.progress(done: done, total: total, unit: unit, message: message))
    }

    public func metric(_ name: String, _ value: Double, step: Int? = nil, task: String? = nil) {
        emit(.metric(name: name, value: value, step: step, task: task))
    }

    public func checkpointSaved(step: Int) { emit(.checkpoint(step: step)) }

    public func result(_ summary: JSONValue) { emit(.result(summary: summary)) }

    /// Turns SIGTERM into ``stopRequested`` instead of death, and treats the death of the engine (the parent
    /// process) the same way, so that an orphaned stage checkpoints and exits instead of running on.
    /// SIGPIPE would kill the plugin the moment it reports progress to an engine that has gone; ignored, the
    /// write fails with EPIPE and ``emit(_:)`` turns that into a stop request.
    func ignoreBrokenPipes() { signal(SIGPIPE, SIG_IGN) }

    /// Asks the kernel for SIGHUP when the engine (our parent) dies, so an orphaned plugin checkpoints and
    /// stops at once (the parent poll in ``trapTermination()`` is the fallback). The kernel sends the death
    /// signal when the parent *thread* that spawned us exits, even if the engine lives on, so the signal is not
    /// SIGTERM: its handler stops only if the parent has really changed. `prctl` is variadic and not
    /// importable; it is called through a non-variadic pointer, which passes its integer arguments as the
    /// variadic convention does on x86-64 and arm64 Linux. The corresponding C function is
    /// `prctl(PR_SET_PDEATHSIG, SIGHUP)`.
    func stopWhenParentDies(parent: pid_t) {
        #if os(Linux)
            signal(SIGHUP, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
            source.setEventHandler { [weak self] in if getppid() != parent { self?.requestStop() } }
            source.resume()
            hangupSource = source
            typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
            guard let symbol = dlsym(nil, "prctl") else { return }
            let prctl = unsafeBitCast(symbol, to: Prctl.self)
            _ = prctl(1 /* PR_SET_PDEATHSIG */, UInt(SIGHUP), 0, 0, 0)
            if getppid() != parent { requestStop() }  // it died before the request took effect
        #endif
    }

    private var hangupSource: DispatchSourceSignal?

    func trapTermination() {
        ignoreBrokenPipes()
        stopWhenParentDies(parent: getppid())
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { [weak self] in self?.requestStop() }
        source.resume()
        signalSource = source
        let parent = getppid()
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler { [weak self] in
            if getppid() != parent { self?.requestStop() }
        }
        timer.resume()
        parentWatch = timer
    }
}

/// The body of every plugin's `main`, separate from process exit so that tests can drive it.
public enum PluginMain {
    public static func run<P: StagePlugin>(_ plugin: P.Type, arguments: [String], context: StageContext) async -> Int32 {
        if arguments.count > 1 {
            switch arguments[1] {
            case "describe":
                context.emit(.describe(P.description))
                return 0
            case "--help", "-h":
                print(
                    "\(arguments[0]): finetuned stage plugin '\(P.description.name)' \(P.description.version)\n"
                        + "\(P.description.summary)\n\nUsage: \(arguments[0]) describe\n"
                        + "       \(arguments[0]) < request.json   (docs/plugin-protocol.md)")
                return 0
            default:
                FileHandle.standardError.write(Data("unknown argument '\(arguments[1])'; try --help\n".utf8))
                return 64
            }
        }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let firstLine = input.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: true).first ?? Data()
        let request: HostRequest
        do {
            request = try JSONDecoder().decode(HostRequest.self, from: firstLine)
        } catch {
            context.emit(.error(message: "malformed request on standard input: \(error)"))
            return 65
        }
        guard request.protocolVersion == StageProtocol.version else {
            context.emit(
                .error(
                    message: "protocol version \(request.protocolVersion) requested; this plugin speaks "
                        + "\(StageProtocol.version)"))
            return 65
        }
        switch request.command {
        case .describe:
            context.emit(.describe(P.description))
            return 0
        case .run:
            guard let run = request.run else {
                context.emit(.error(message: "'run' request without a 'run' body"))
                return 65
            }
            context.trapTermination()
            do {
                try await P().run(run, context: context)
                return 0
            } catch is StageStopped {
                context.log("stopped on request; will resume from the last checkpoint", level: .notice)
                return StageProtocol.exitStoppedForResume
            } catch {
                context.emit(.error(message: "\(error)"))
                return 1
            }
        }
    }
}
