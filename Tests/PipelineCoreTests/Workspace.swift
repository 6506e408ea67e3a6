import Foundation
import PipelineCore
import StageKit
import TestSupport
import Testing

/// A temporary folder with a state directory, pipeline files and data, and the package's real plugins.
final class Workspace: TemporaryFolder, @unchecked Sendable {
    var state: String { root + "/state" }

    init() throws { try super.init(prefix: "finetuned-test") }

    /// The folder holding the package's built executables (the plugins and finetunectl).
    static let buildDirectory = BuildProducts.directory(containing: "finetuned-stage-testkit")

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
        try runToEnd(Workspace.buildDirectory + "/finetunectl", arguments + ["--state-dir", state], in: root)
    }
}

extension RunRecord {
    /// Stage name → status, for compact assertions.
    var statuses: [String: Stage.Status] {
        Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0.status) })
    }
}

extension Process {
    /// Waits for exit without blocking a cooperative thread.
    func exit() async {
        _ = try? await offThePool { self.waitUntilExit() }
    }
}
