import Foundation
import PipelineCore
import StageKit
import Testing

/// Plugin processes as the engine runs them: their workers stop with them, a protocol violation ends in
/// SIGKILL if need be, no descriptor leaks, and the stage log is bounded (issue 8, item 10).
@Suite struct SubprocessStageRunnerTests {
    static let runner = SubprocessStageRunner(gracePeriod: .seconds(1), maxLogBytes: 4096)

    static func testkit() async throws -> PluginInfo {
        let ws = try Workspace()
        let registry = await (try ws.engine()).discoverPlugins(directories: [Workspace.buildDirectory])
        return try #require(registry["testkit"])
    }

    static func request(_ ws: Workspace, _ params: [String: JSONValue]) throws -> RunRequest {
        for dir in ["out", "scratch"] { try FileManager.default.createDirectory(atPath: ws.root + "/" + dir, withIntermediateDirectories: true) }
        var all: [String: JSONValue] = ["output": "x", "seconds": 0, "steps": 0, "exit_code": 3, "message": "m", "record": ""]
        for (k, v) in params { all[k] = v }
        return RunRequest(
            pipeline: "p", stage: "s", runID: "r", params: .object(all), outputDir: ws.root + "/out",
            scratchDir: ws.root + "/scratch")
    }

    @Test(.timeLimit(.minutes(1))) func aWorkerLeftBehindByThePluginIsKilledAndDoesNotHoldTheStage() async throws {
        let ws = try Workspace()
        let record = ws.root + "/record"
        let outcome = await Self.runner.run(
            plugin: try await Self.testkit(), request: try Self.request(ws, ["mode": "orphan", "record": .string(record)]),
            timeout: nil, logFile: ws.root + "/s.log") { _ in }
        guard case .succeeded = outcome else { return #expect(Bool(false), "\(outcome)") }
        let worker = try #require(Int32(try String(contentsOfFile: record + ".worker", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<100 where !gone {
            gone = kill(worker, 0) != 0 || (try? String(contentsOfFile: "/proc/\(worker)/stat", encoding: .utf8))?.contains(") Z") == true
            if !gone { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(gone, "worker \(worker) survived its plugin")
    }

    @Test(.timeLimit(.minutes(1))) func aProtocolViolationIgnoringSIGTERMIsKilled() async throws {
        let ws = try Workspace()
        let outcome = await Self.runner.run(
            plugin: try await Self.testkit(), request: try Self.request(ws, ["mode": "garbage-hang"]), timeout: nil,
            logFile: ws.root + "/s.log") { _ in }
        guard case .failed(let message) = outcome else { return #expect(Bool(false), "\(outcome)") }
        #expect(message.contains("broke the protocol on output line 1"))
    }

    /// Descriptors of this process open on `path` (other tests running in parallel open their own files).
    static func descriptors(on path: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)) == path
        }
    }

    @Test func aPluginThatCannotStartLeaksNoDescriptor() async throws {
        let ws = try Workspace()
        let missing = PluginInfo(
            description: PluginDescription(name: "gone", version: "1", summary: "", params: ParamSchema([])),
            executable: ws.root + "/no-such-plugin", digest: "0")
        let request = try Self.request(ws, [:])
        for _ in 0..<5 {
            let outcome = await Self.runner.run(plugin: missing, request: request, timeout: nil, logFile: ws.root + "/s.log") { _ in }
            guard case .failed = outcome else { return #expect(Bool(false), "\(outcome)") }
        }
        #expect(Self.descriptors(on: ws.root + "/s.log") == 0)
    }

    @Test func theStageLogIsBounded() async throws {
        let ws = try Workspace()
        let script = ws.root + "/noisy"
        try """
            #!/bin/sh
            cat > /dev/null
            head -c 200000 /dev/zero | tr '\\0' 'x' >&2
            echo '{"event":"result","summary":{}}'
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let plugin = PluginInfo(
            description: PluginDescription(name: "noisy", version: "1", summary: "", params: ParamSchema([])),
            executable: script, digest: "0")
        let outcome = await Self.runner.run(plugin: plugin, request: try Self.request(ws, [:]), timeout: nil, logFile: ws.root + "/s.log") { _ in }
        guard case .succeeded = outcome else { return #expect(Bool(false), "\(outcome)") }
        let log = try String(contentsOfFile: ws.root + "/s.log", encoding: .utf8)
        #expect(log.utf8.count < 4096 + 200)
        #expect(log.contains("[finetuned: stage log truncated at 4096 bytes; 195904 more dropped]"))
    }
}
