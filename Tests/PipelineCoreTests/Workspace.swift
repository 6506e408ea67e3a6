import Foundation
import PipelineCore
import StageKit
import Testing

/// A temporary folder with a state directory, pipeline files and data, and the package's real plugins.
final class Workspace: @unchecked Sendable {
    let root: String
    var state: String { root + "/state" }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("finetuned-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The folder holding the package's built executables (the plugins and finetunectl).
    static let buildDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["FINETUNED_BUILD_DIR"] { return dir }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<6 {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("finetuned-stage-testkit").path) {
                return url.path
            }
        }
        // Under `swift test` the bundle lives in the build folder; fall back to the usual place.
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }()

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func engine(jobs: Int = 2) throws -> Engine {
        try Engine(stateDirectory: state, runner: SubprocessStageRunner(gracePeriod: .seconds(2)), jobs: jobs)
    }

    func validate(_ file: String, engine: Engine) async throws -> ValidatedPipeline {
        let registry = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        #expect(registry["testkit"] != nil, "plugins not found in \(Workspace.buildDirectory)")
        return try PipelineValidator(registry: registry).validate(file: root + "/" + file)
    }

    /// Validates and runs a pipeline file of this workspace.
    func run(_ file: String, jobs: Int = 2) async throws -> RunRecord {
        let engine = try engine(jobs: jobs)
        return try await engine.run(try await validate(file, engine: engine))
    }

    /// Runs `finetunectl` with arguments, returning its exit status and combined output. Waits on a thread of
    /// its own: blocking a cooperative thread would stall the other tests running in parallel.
    func finetunectl(_ arguments: [String]) async throws -> (Int32, String) {
        try await offThePool { try self.finetunectlBlocking(arguments) }
    }

    private func finetunectlBlocking(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Workspace.buildDirectory + "/finetunectl")
        process.arguments = arguments + ["--state-dir", state]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

extension RunRecord {
    /// Stage name → status, for compact assertions.
    var statuses: [String: Stage.Status] {
        Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0.status) })
    }
}

/// Runs blocking work (waiting for a process) on a dispatch thread instead of Swift concurrency's small pool.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

extension Process {
    /// Waits for exit without blocking a cooperative thread.
    func exit() async {
        _ = try? await offThePool { self.waitUntilExit() }
    }
}
