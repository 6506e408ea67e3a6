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

    public func emit(_ event: StageEvent) {
        guard var line = try? JSONEncoder.stageLine.encode(event) else { return }
        line.append(0x0A)
        lock.withLock { output.write(line) }
    }

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
    func trapTermination() {
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
