import Foundation
import PipelineCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `finetunectl` as a user runs it: killed mid-stage, run twice at once, its cache checked and collected.
@Suite struct ProcessLevelTests {
    /// Starts `finetunectl run` without waiting for it.
    func start(_ ws: Workspace, _ file: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Workspace.buildDirectory + "/finetunectl")
        process.arguments = ["run", file, "--state-dir", ws.state]
        process.currentDirectoryURL = URL(fileURLWithPath: ws.root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls `condition` on a dispatch thread, then runs `then` there at once: the cooperative pool (two threads)
    /// can be held by other suites' work for seconds, and a kill sent from it would come too late.
    func waitFor(
        _ what: String, timeout: Double = 20, then: @escaping @Sendable () -> Void = {},
        _ condition: @escaping @Sendable () -> Bool
    ) async throws {
        let met = try await offThePool {
            let deadline = Date().addingTimeInterval(timeout)
            while !condition() {
                if Date() > deadline { return false }
                usleep(20_000)
            }
            then()
            return true
        }
        if !met { Issue.record("timed out waiting for \(what)") }
    }

    @Test func aRunKilledMidStageLeavesNoPartialArtifactAndTheNextRunFinishes() async throws {
        let ws = try Workspace()
        try ws.write(
            "p.yaml",
            """
            version: 1
            stages:
              slow: { plugin: testkit, with: { mode: steps, steps: 60, seconds: 0.1 } }
              after: { plugin: testkit, after: [slow] }
            """)
        let process = try start(ws, "p.yaml")
        let events = ws.state + "/runs/p/latest/events.jsonl"
        let pid = process.processIdentifier
        try await waitFor("the stage to checkpoint", then: { kill(pid, SIGKILL) }) {
            ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").contains("plugin-checkpoint")
        }
        await process.exit()
        let engine = try ws.engine()
        #expect(engine.store.all().isEmpty, "a killed run must not leave an artifact")

        let (status, output) = try await ws.finetunectl(["run", "p.yaml"])
        #expect(status == 0, "\(output)")
        #expect(engine.store.all().map(\.manifest.stage).sorted() == ["after", "slow"])
        #expect(output.contains("resuming from checkpoint"), "\(output)")
        // The orphaned attempt's staging directory is gone once its plugin noticed and exited.
        try await waitFor("abandoned staging to be cleaned") {
            engine.store.removeAbandonedStaging()
            return ((try? FileManager.default.contentsOfDirectory(atPath: ws.state + "/cache/staging")) ?? []).isEmpty
        }
    }

    @Test func twoConcurrentRunsOfOnePipelineRunEachStageOnce() async throws {
        let ws = try Workspace()
        let record = ws.root + "/starts.txt"
        try ws.write(
            "p.yaml",
            """
            version: 1
            stages:
              a: { plugin: testkit, with: { mode: sleep, seconds: 1, record: "\(record)" } }
              b: { plugin: testkit, after: [a], with: { record: "\(record)" } }
            """)
        let first = try start(ws, "p.yaml")
        let second = try start(ws, "p.yaml")
        await first.exit()
        await second.exit()
        #expect(first.terminationStatus == 0)
        #expect(second.terminationStatus == 0)
        let starts = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(starts.sorted() == ["a", "b"])
    }

    @Test func verifyFindsCorruptionAndGCKeepsWhatPipelinesReference() async throws {
        let ws = try Workspace()
        let text = "version: 1\nstages:\n  a: { plugin: testkit, with: { output: one } }\n  b: { plugin: testkit, after: [a] }\n"
        try ws.write("p.yaml", text)
        #expect(try await ws.finetunectl(["run", "p.yaml"]).0 == 0)
        #expect(try await ws.finetunectl(["cache", "verify"]).0 == 0)

        let engine = try ws.engine()
        let a = engine.store.all().first { $0.manifest.stage == "a" }!
        try "tampered".write(toFile: a.filesDirectory + "/result.txt", atomically: false, encoding: .utf8)
        let (status, output) = try await ws.finetunectl(["cache", "verify"])
        #expect(status == 1)
        #expect(output.contains("corrupt \(a.key.prefix(12))"))
        #expect(output.contains("result.txt: content changed"))
        #expect(try await ws.finetunectl(["cache", "verify", "--delete"]).0 == 0)
        #expect(engine.store.lookup(a.key) == nil)

        // A new parameter makes new artifacts; the old ones become unreferenced and collectable.
        #expect(try await ws.finetunectl(["run", "p.yaml"]).0 == 0)
        try ws.write("p.yaml", text.replacingOccurrences(of: "output: one", with: "output: two"))
        #expect(try await ws.finetunectl(["run", "p.yaml"]).0 == 0)
        #expect(engine.store.all().count == 4)
        let referenced = engine.referencedKeys()
        #expect(referenced.count == 2)
        let dry = try await ws.finetunectl(["cache", "gc", "--dry-run"])
        #expect(dry.1.contains("would remove"))
        #expect(engine.store.all().count == 4)
        #expect(try await ws.finetunectl(["cache", "gc"]).0 == 0)
        #expect(Set(engine.store.all().map(\.key)) == referenced)
        // A second run after gc is all cache hits: nothing referenced was removed.
        let (_, rerun) = try await ws.finetunectl(["run", "p.yaml"])
        #expect(rerun.contains("0 ran, 2 cached"), "\(rerun)")
    }
}
