import Foundation
import PipelineCore
import StageKit
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The engine over real plugin executables: caching, invalidation, early cutoff, failures of every kind.
@Suite struct EngineTests {
    static let fourStages = """
        version: 1
        name: four
        data:
          docs: { path: data/*.txt }
        stages:
          count:
            plugin: wordcount
            inputs: [docs]
          long:
            plugin: wordcount
            inputs: [docs]
            with: { min_length: 6 }
          merge:
            plugin: wordcount
            after: [count, long]
          report:
            plugin: testkit
            after: [merge]
            with: { output: report }
        """

    func fourStageWorkspace() throws -> Workspace {
        let ws = try Workspace()
        try ws.write("data/a.txt", "the quick brown fox jumps over the lazy dog\n")
        try ws.write("data/b.txt", "pack my box with five dozen liquor jugs\n")
        try ws.write("p.yaml", Self.fourStages)
        return ws
    }

    @Test func secondRunOfAnUnchangedPipelineRunsNoStage() async throws {
        let ws = try fourStageWorkspace()
        let first = try await ws.run("p.yaml")
        #expect(first.status == .succeeded)
        #expect(Set(first.executed) == ["count", "long", "merge", "report"])
        let second = try await ws.run("p.yaml")
        #expect(second.status == .succeeded)
        #expect(second.executed.isEmpty)
        #expect(second.stages.allSatisfy { $0.status == .cached })
    }

    @Test func changingOneParameterRerunsThatStageAndItsDependants() async throws {
        let ws = try fourStageWorkspace()
        _ = try await ws.run("p.yaml")
        try ws.write("p.yaml", Self.fourStages.replacingOccurrences(of: "min_length: 6", with: "min_length: 5"))
        let engine = try ws.engine()
        let pipeline = try await ws.validate("p.yaml", engine: engine)
        let plan = try engine.plan(pipeline)
        #expect(plan.map(\.state) == [.cached, .stale, .blocked, .blocked])
        #expect(plan[1].reasons == ["params.min_length: 6 → 5"])
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["count": .cached, "long": .succeeded, "merge": .succeeded, "report": .succeeded])
    }

    @Test func dataBytesInvalidateReadersButATouchDoesNot() async throws {
        let ws = try fourStageWorkspace()
        _ = try await ws.run("p.yaml")
        // Same bytes, new mtime: nothing runs.
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, ws.root + "/data/a.txt", &times, 0) == 0)
        let touched = try await ws.run("p.yaml")
        #expect(touched.executed.isEmpty)
        // New bytes: the readers run; merge re-runs because their outputs changed.
        try ws.write("data/a.txt", "the quick brown fox jumps over the lazy cat\n")
        let changed = try await ws.run("p.yaml")
        #expect(Set(changed.executed) == ["count", "long", "merge", "report"])
        let explanation = try await ws.finetunectl(["explain", "p.yaml", "count"])
        #expect(explanation.0 == 0)
    }

    @Test func identicalUpstreamOutputCutsOffDownstream() async throws {
        let ws = try Workspace()
        let text = """
            version: 1
            stages:
              first: { plugin: testkit, with: { output: same, seconds: 0 } }
              second: { plugin: testkit, after: [first] }
            """
        try ws.write("p.yaml", text)
        _ = try await ws.run("p.yaml")
        // `seconds` changes first's key but not its output: second stays cached.
        try ws.write("p.yaml", text.replacingOccurrences(of: "seconds: 0", with: "seconds: 0.01"))
        let record = try await ws.run("p.yaml")
        #expect(record.statuses == ["first": .succeeded, "second": .cached])
    }

    @Test(arguments: [
        ("fail", "requested failure"),
        ("crash", "crashed (killed by SIGSEGV)"),
        ("garbage", "broke the protocol on output line 1"),
        ("exit", "exited with status 3"),
    ])
    func aFailingStageLeavesNoArtifactAndSkipsItsDependants(mode: String, message: String) async throws {
        let ws = try Workspace()
        try ws.write(
            "p.yaml",
            """
            version: 1
            stages:
              ok: { plugin: testkit }
              bad: { plugin: testkit, after: [ok], with: { mode: \(mode) } }
              after_bad: { plugin: testkit, after: [bad] }
            """)
        let record = try await ws.run("p.yaml")
        #expect(record.status == .failed)
        #expect(record.statuses == ["ok": .succeeded, "bad": .failed, "after_bad": .skipped])
        #expect(record.stage("bad")?.error?.contains(message) == true, "\(record.stage("bad")?.error ?? "")")
        #expect(record.stage("after_bad")?.reason == "upstream stage 'bad' did not succeed")
        let engine = try ws.engine()
        #expect(engine.store.all().map(\.manifest.stage) == ["ok"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: ws.state + "/cache/staging").isEmpty)
    }

    // SIGTERM is ignored by the hanging plugin: the run ends only because SIGKILL follows the grace period, and the
    // time limit turns a missing SIGKILL into a failure instead of a hung suite.
    @Test(.timeLimit(.minutes(2))) func aHangingStageIsKilledAtItsTimeout() async throws {
        let ws = try Workspace()
        try ws.write(
            "p.yaml", "version: 1\nstages:\n  hang: { plugin: testkit, with: { mode: hang }, timeout: 0.5 }\n")
        let record = try await ws.run("p.yaml")
        #expect(record.stage("hang")?.status == .failed)
        #expect(record.stage("hang")?.error == "timed out after 0.5s and was stopped")
    }

    @Test func independentStagesRunConcurrently() async throws {
        let ws = try Workspace()
        try ws.write(
            "p.yaml",
            """
            version: 1
            stages:
              a: { plugin: testkit, with: { mode: sleep, seconds: 1, output: a } }
              b: { plugin: testkit, with: { mode: sleep, seconds: 1, output: b } }
            """)
        let record = try await ws.run("p.yaml", jobs: 2)
        #expect(record.status == .succeeded)
        let events = try String(contentsOfFile: ws.state + "/runs/p/latest/events.jsonl", encoding: .utf8)
        // Both started before either finished.
        let lines = events.split(separator: "\n").map(String.init)
        let firstFinish = lines.firstIndex { $0.contains("\"stage-succeeded\"") }!
        #expect(lines[..<firstFinish].filter { $0.contains("\"stage-started\"") }.count == 2)
    }

    @Test func cancellingStopsAStageThatResumesFromItsCheckpoint() async throws {
        let ws = try Workspace()
        try ws.write(
            "p.yaml", "version: 1\nstages:\n  train: { plugin: testkit, with: { mode: steps, steps: 40, seconds: 0.05 } }\n")
        let engine = try ws.engine()
        let pipeline = try await ws.validate("p.yaml", engine: engine)
        let task = Task { try await engine.run(pipeline) }
        // Cancel once the plugin has reported a step (a fixed delay can land before the stage starts on a loaded
        // machine), from a dispatch thread: other suites can hold the cooperative pool past the stage's 2 seconds.
        let runs = ws.state + "/runs/p"
        try await offThePool {
            let deadline = Date().addingTimeInterval(60)
            func started() -> Bool {
                let ids = (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []
                return ids.contains { id in
                    let events = try? String(contentsOfFile: runs + "/" + id + "/events.jsonl", encoding: .utf8)
                    return events?.contains("\"plugin-progress\"") ?? false
                }
            }
            while !started() && Date() < deadline { usleep(10_000) }
            task.cancel()
        }
        let stopped = try await task.value
        #expect(stopped.status == .cancelled)
        #expect(stopped.stage("train")?.status == .stopped)
        #expect(engine.store.all().isEmpty)
        // What the plugin said while stopping is still read and recorded.
        let stoppedEvents = try String(contentsOfFile: ws.state + "/runs/p/\(stopped.runID)/events.jsonl", encoding: .utf8)
        #expect(stoppedEvents.contains("stopped on request; will resume from the last checkpoint"))
        let resumed = try await engine.run(pipeline)
        #expect(resumed.stage("train")?.status == .succeeded)
        let events = try String(contentsOfFile: ws.state + "/runs/p/latest/events.jsonl", encoding: .utf8)
        #expect(events.contains("resuming from checkpoint at step"))
        #expect(events.contains("\"resumed\":true"))
    }
}
