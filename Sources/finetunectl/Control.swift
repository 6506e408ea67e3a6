import ArgumentParser
import ControlProtocol
import Foundation

/// Where the daemon's control socket is.
struct SocketOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's control socket.", discussion: "Default: $FINETUNED_SOCKET, else /run/finetuned/control.sock.",
            valueName: "path"))
    var socket: String?

    var path: String {
        socket ?? ProcessInfo.processInfo.environment["FINETUNED_SOCKET"] ?? "/run/finetuned/control.sock"
    }

    /// Sends a request; an unreachable daemon exits 69, a refusal (`ok: false`) exits 1 with its reason.
    func send(_ request: ControlRequest) throws -> ControlResponse {
        let response: ControlResponse
        do {
            response = try ControlClient.send(request, to: path)
        } catch {
            throw failure("\(error)", code: ExitCode(69))
        }
        guard response.ok else { throw failure(response.error ?? "the daemon refused the request", code: Exit.stageFailed) }
        return response
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's pipelines: stages, cache state, progress, latest metrics, rejections.")
    @OptionGroup var socket: SocketOption
    @Flag(help: "Print as JSON.") var json = false
    @Argument(help: ArgumentHelp("Only this pipeline.", valueName: "pipeline")) var pipeline: String?
    @Option(
        help: ArgumentHelp(
            "State directory whose exports/ hold the latest reports (default: the daemon's).", valueName: "dir"))
    var stateDir: String?

    func run() async throws {
        let response = try socket.send(.status(pipeline: pipeline))
        if json { return try printJSON(response.pipelines) }
        let state = stateDir ?? response.stateDirectory
        if response.pipelines.isEmpty { print("no pipelines in the watched folders") }
        for p in response.pipelines {
            let last = p.lastRun.map { ", last run \($0)" } ?? ""
            print("\(p.name ?? "?") — \(p.state.rawValue)\(last)  (\(p.file))")
            for d in p.diagnostics { print("    \(d)") }
            for s in p.stages {
                var line = "    \(s.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(s.status.padding(toLength: 9, withPad: " ", startingAt: 0))"
                if let done = s.done {
                    if let total = s.total, total > 0 {
                        let filled = min(20, done * 20 / total)
                        line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "] \(done)/\(total) \(s.unit ?? "")s"
                    } else {
                        line += " \(done) \(s.unit ?? "")s"
                    }
                }
                if !s.metrics.isEmpty {
                    line += "  " + s.metrics.keys.sorted().prefix(4).map { "\($0) \(String(format: "%.4g", s.metrics[$0]!))" }.joined(separator: ", ")
                }
                if let error = s.error { line += "  \(error)" }
                print(line)
            }
            if let state, let name = p.name { for line in LatestMetrics.lines(state: state, pipeline: name) { print(line) } }
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the daemon's pipelines, one per line.")
    @OptionGroup var socket: SocketOption

    func run() async throws {
        let response = try socket.send(.status(pipeline: nil))
        for p in response.pipelines { print("\(p.name ?? "-")\t\(p.state.rawValue)\t\(p.lastRun ?? "-")\t\(p.file)") }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a pipeline's active run (running stages checkpoint; `rerun` resumes).")
    @OptionGroup var socket: SocketOption
    @Argument(help: ArgumentHelp("The pipeline.", valueName: "pipeline")) var pipeline: String

    func run() async throws {
        _ = try socket.send(.cancel(pipeline: pipeline))
        print("cancelling \(pipeline)")
    }
}

struct Rerun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline again now: stale and failed stages run, the rest come from the cache.")
    @OptionGroup var socket: SocketOption
    @Argument(help: ArgumentHelp("The pipeline.", valueName: "pipeline")) var pipeline: String

    func run() async throws {
        _ = try socket.send(.rerun(pipeline: pipeline))
        print("queued \(pipeline)")
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a pipeline's latest run: its events, or its journal entries.",
        discussion: "Reads runs/<pipeline>/latest/ of the state directory (asked from the daemon unless --state-dir).")
    @OptionGroup var socket: SocketOption
    @Option(help: ArgumentHelp("State directory (default: ask the daemon).", valueName: "dir")) var stateDir: String?
    @Option(help: "Only this stage's events, and its plugin's stderr.") var stage: String?
    @Flag(help: "Show journal entries (journalctl PIPELINE=…) instead of the events file.") var journal = false
    @Argument(help: ArgumentHelp("The pipeline.", valueName: "pipeline")) var pipeline: String

    func run() async throws {
        if journal {
            var args = ["journalctl", "--no-pager", "-o", "short-iso", "PIPELINE=\(pipeline)"]
            if let stage { args.append("STAGE=\(stage)") }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = args
            try p.run()
            p.waitUntilExit()
            throw ExitCode(p.terminationStatus)
        }
        let state = try stateDir ?? socket.send(.status(pipeline: nil)).stateDirectory ?? "/var/lib/finetuned"
        let dir = "\(state)/runs/\(pipeline)/latest"
        guard let events = try? String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8) else {
            throw failure("no run of '\(pipeline)' in \(state)/runs", code: Exit.stageFailed)
        }
        for line in events.split(separator: "\n") {
            if let stage, !line.contains("\"stage\":\"\(stage)\"") { continue }
            print(line)
        }
        if let stage, let log = try? String(contentsOfFile: "\(dir)/\(stage).log", encoding: .utf8), !log.isEmpty {
            print("--- \(stage).log (plugin stderr)")
            print(log, terminator: "")
        }
    }
}
