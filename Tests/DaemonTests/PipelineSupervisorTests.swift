import ControlProtocol
import Foundation
import Logging
import PipelineCore
import TestSupport
import Testing

@testable import Daemon

/// The supervisor over the real engine and plugins: accept, reject, cancel on removal, confine data.
@Suite struct PipelineSupervisorTests {
    struct NullNotifier: Notifier {
        func notify(_ assignments: [(String, String)]) {}
    }

    final class Setup {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sup-\(UUID().uuidString)").path
        var folder: String { root + "/state/pipelines" }
        let supervisor: PipelineSupervisor

        init(configuration extra: String = "") async throws {
            try FileManager.default.createDirectory(atPath: root + "/state/pipelines", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/state/data", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/outside", withIntermediateDirectories: true)
            try "some words here\n".write(toFile: root + "/state/data/a.txt", atomically: true, encoding: .utf8)
            try "secret\n".write(toFile: root + "/outside/b.txt", atomically: true, encoding: .utf8)
            try "state_dir: \(root)/state\ncontrol_group: ''\n\(extra)".write(
                toFile: root + "/conf.yaml", atomically: true, encoding: .utf8)
            let configuration = try DaemonConfiguration.load(file: root + "/conf.yaml")
            let engine = try Engine(stateDirectory: configuration.stateDirectory, runner: SubprocessStageRunner(gracePeriod: .seconds(2)))
            let registry = await engine.discoverPlugins(directories: [Self.buildDirectory])
            supervisor = PipelineSupervisor(
                configuration: configuration, engine: engine, registry: registry,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, notifier: NullNotifier())
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        static let buildDirectory = BuildProducts.directory(containing: "finetuned-stage-testkit")

        func drop(_ name: String, _ text: String) async throws {
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            await supervisor.handle(.changed(folder + "/" + name))
            try await settle()
        }

        /// Validation runs off the actor: wait until every outcome has been applied.
        func settle() async throws {
            try await wait("validations to finish") { await supervisor.validationsSettled }
        }

        func wait(_ what: String, _ condition: () async -> Bool) async throws {
            for _ in 0..<300 {
                if await condition() { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("timed out waiting until \(what)")
        }

        func status(_ name: String) async -> PipelineStatus? { await supervisor.status(pipeline: name).first }
    }

    @Test func aValidPipelineRunsAndAnInvalidOneIsRejectedWithLocations() async throws {
        let s = try await Setup()
        try await s.drop("good.yaml", "version: 1\nname: good\ndata:\n  d: ../data/a.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        try await s.drop("bad.yaml", "version: 1\nstages:\n  a: {plugin: wordcont}\n")
        try await s.wait("good finished") { await s.status("good")?.lastRun == "succeeded" }
        let all = await s.supervisor.status(pipeline: nil)
        let bad = all.first { $0.file.hasSuffix("bad.yaml") }!
        #expect(bad.state == .rejected)
        #expect(bad.diagnostics.first?.contains("bad.yaml:3:15: error: unknown plugin 'wordcont'") == true)
        #expect(bad.diagnostics.first?.contains("did you mean 'wordcount'?") == true)
        // The user's file is untouched.
        #expect(try String(contentsOfFile: s.folder + "/bad.yaml", encoding: .utf8) == "version: 1\nstages:\n  a: {plugin: wordcont}\n")
    }

    @Test func removingTheFileCancelsItsRun() async throws {
        let s = try await Setup()
        try await s.drop("slow.yaml", "version: 1\nname: slow\nstages:\n  a: {plugin: testkit, with: {mode: steps, steps: 100, seconds: 0.05}}\n")
        try await s.wait("the stage to run") { await s.status("slow")?.stages.first?.status == "running" }
        unlink(s.folder + "/slow.yaml")
        await s.supervisor.handle(.removed(s.folder + "/slow.yaml"))
        #expect(await s.supervisor.status(pipeline: nil).isEmpty)
        // The run ends as cancelled: its record says so.
        try await s.wait("the run record to close") {
            let record = try? String(contentsOfFile: s.root + "/state/runs/slow/latest/run.json", encoding: .utf8)
            return record?.contains("\"status\" : \"cancelled\"") == true
        }
    }

    @Test func dataOutsideTheRootsAndDuplicateNamesAreRejected() async throws {
        let s = try await Setup()
        try await s.drop("out.yaml", "version: 1\nname: out\ndata:\n  d: ../../outside/b.txt\nstages:\n  a: {plugin: wordcount, inputs: [d]}\n")
        let out = await s.supervisor.status(pipeline: nil).first { $0.file.hasSuffix("out.yaml") }
        #expect(out?.state == .rejected)
        #expect(out?.diagnostics.first?.contains("outside the allowed data roots") == true)
        try await s.drop("one.yaml", "version: 1\nname: same\nstages:\n  a: {plugin: testkit}\n")
        try await s.drop("two.yaml", "version: 1\nname: same\nstages:\n  a: {plugin: testkit}\n")
        let two = await s.supervisor.status(pipeline: nil).first { $0.file.hasSuffix("two.yaml") }
        #expect(two?.state == .rejected)
        #expect(two?.diagnostics.first?.contains("pipeline name 'same' is already used by") == true)
    }

    @Test func rerunAndCancelThroughTheControlAPI() async throws {
        let s = try await Setup()
        try await s.drop("p.yaml", "version: 1\nname: p\nstages:\n  a: {plugin: testkit, with: {mode: steps, steps: 100, seconds: 0.05}}\n")
        try await s.wait("the stage to run") { await s.status("p")?.stages.first?.status == "running" }
        #expect(await s.supervisor.cancel(pipeline: "p"))
        try await s.wait("the run to stop") { await s.status("p")?.lastRun == "cancelled" }
        #expect(await s.supervisor.rerun(pipeline: "p"))
        try await s.wait("the resumed run to finish") { await s.status("p")?.lastRun == "succeeded" }
        #expect(await s.supervisor.rerun(pipeline: "nope") == false)
    }

    @Test func hostileFilesAreRejectedWhileTheSupervisorKeepsAnswering() async throws {
        let s = try await Setup()
        // A FIFO and a symlink to /dev/zero: reading either on the actor stalled it forever before issue 8.
        #expect(mkfifo(s.folder + "/fifo.yaml", 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: s.folder + "/zero.yaml", withDestinationPath: "/dev/zero")
        await s.supervisor.handle(.changed(s.folder + "/fifo.yaml"))
        await s.supervisor.handle(.changed(s.folder + "/zero.yaml"))
        #expect(await s.supervisor.heartbeat())  // the actor answers while those are read
        var bomb = "version: 1\nname: bomb\nstages:\n  a: {plugin: wordcount}\nx:\n"
        bomb += "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { bomb += "  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        try await s.drop("bomb.yaml", bomb)
        try await s.drop("list.yaml", "version: 1\nname: list\nstages:\n  a: {plugin: wordcount}\n  b: {plugin: wordcount, with: [1]}\n")
        try await s.settle()
        let all = await s.supervisor.status(pipeline: nil)
        func diagnostics(_ file: String) -> String {
            all.first { $0.file.hasSuffix(file) && $0.state == .rejected }?.diagnostics.joined() ?? "not rejected"
        }
        #expect(diagnostics("fifo.yaml").contains("not a regular file (a FIFO)"))
        #expect(diagnostics("zero.yaml").contains("not a regular file (a symbolic link)"))
        #expect(diagnostics("bomb.yaml").contains("bomb.yaml:7:12: error: YAML aliases are not supported"))
        #expect(diagnostics("list.yaml").contains("list.yaml:5:32: error: 'with' must be a mapping of parameters, found a sequence"))
        // And a valid pipeline dropped after them still runs.
        try await s.drop("good.yaml", "version: 1\nname: good\ndata:\n  d: ../data/a.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        try await s.wait("good finished") { await s.status("good")?.lastRun == "succeeded" }
    }

    /// A file whose validation outlasts `validation_timeout` is rejected with that reason, and the daemon's
    /// `finetunectl status` answers while it is being validated (issue 8, item 4).
    @Test func aValidationPastItsDeadlineIsRejectedWhileStatusAnswers() async throws {
        // `/` as a data root lets the pattern walk all of /usr (over 100 000 entries here, seconds of work,
        // bounded by the resolver's own budget) — far more than a 0.1-second deadline allows.
        let s = try await Setup(configuration: "data_roots: [/]\nvalidation_timeout: 0.1\n")
        let socket = s.root + "/control.sock"
        let supervisor = s.supervisor
        let state = s.root + "/state"
        let server = ControlServer(path: socket, group: "") { request in
            guard case .status(let name) = request else { return ControlResponse(ok: false, error: "not tested") }
            return ControlResponse(ok: true, stateDirectory: state, pipelines: await supervisor.status(pipeline: name))
        }
        try server.start()
        defer { server.stop() }
        let file = s.folder + "/slow.yaml"
        try "version: 1\nname: slow\ndata:\n  d: /usr/**/no-such-file-*.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        await supervisor.handle(.changed(file))
        let (status, output) = try await offThePool {
            try runToEnd(Setup.buildDirectory + "/finetunectl", ["status", "--json", "--socket", socket])
        }
        #expect(status == 0, "\(output)")
        #expect((try? JSONSerialization.jsonObject(with: Data(output.utf8))) != nil, "\(output)")
        try await s.settle()
        let slow = await s.supervisor.status(pipeline: nil).first { $0.file == file }
        #expect(slow?.state == .rejected)
        #expect(slow?.diagnostics.joined().contains("slow.yaml:1:1: error: validation did not finish within 0.1 seconds") == true)
        // The supervisor goes on: a valid file dropped after it runs.
        try await s.drop("good.yaml", "version: 1\nname: good\ndata:\n  d: ../data/a.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        try await s.wait("good finished") { await s.status("good")?.lastRun == "succeeded" }
    }

    @Test func cancellingAQueuedPipelineTakesItOutOfTheQueue() async throws {
        let s = try await Setup()  // max_concurrent_runs: 1
        try await s.drop("slow.yaml", "version: 1\nname: slow\nstages:\n  a: {plugin: testkit, with: {mode: steps, steps: 100, seconds: 0.05}}\n")
        try await s.wait("the stage to run") { await s.status("slow")?.stages.first?.status == "running" }
        try await s.drop("next.yaml", "version: 1\nname: next\nstages:\n  a: {plugin: testkit}\n")
        #expect(await s.status("next")?.state == .queued)
        #expect(await s.supervisor.cancel(pipeline: "next"))
        #expect(await s.status("next")?.state == .idle)
        #expect(await s.supervisor.cancel(pipeline: "slow"))
        try await s.wait("slow to stop") { await s.status("slow")?.lastRun == "cancelled" }
        // The cancelled one was not started when the slot freed up.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await s.status("next")?.state == .idle)
        #expect(await s.status("next")?.lastRun == "cancelled")
        // It can still be run on request.
        #expect(await s.supervisor.rerun(pipeline: "next"))
        try await s.wait("next to run") { await s.status("next")?.lastRun == "succeeded" }
    }

    @Test func aFileRejectedForMissingDataIsAcceptedWhenTheDataAppears() async throws {
        let s = try await Setup(configuration: "revalidate_interval: 0.2\n")
        try await s.drop("late.yaml", "version: 1\nname: late\ndata:\n  d: ../data/late.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        let first = await s.supervisor.status(pipeline: nil).first
        #expect(first?.state == .rejected)
        #expect(first?.diagnostics.first?.contains("no file matches '../data/late.txt'") == true)
        try "late words\n".write(toFile: s.root + "/state/data/late.txt", atomically: true, encoding: .utf8)
        try await s.wait("late to run once its data exists") { await s.status("late")?.lastRun == "succeeded" }
    }
}
