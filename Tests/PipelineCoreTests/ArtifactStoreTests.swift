import Foundation
import PipelineCore
import StageKit
import Testing

/// The cache under concurrent use: gc waits for no one and deletes nothing a run uses; committed artifacts are
/// read-only; the plugin binary is checked when it is spawned (issue 8, item 9).
@Suite struct ArtifactStoreTests {
    @Test func committedArtifactsAreReadOnlyAndStillCollectable() async throws {
        let ws = try Workspace()
        try ws.write("p.yaml", "version: 1\nname: ro\nstages:\n  a: {plugin: testkit, with: {output: hello}}\n")
        let record = try await ws.run("p.yaml")
        #expect(record.statuses == ["a": .succeeded])
        let engine = try ws.engine()
        let artifact = try #require(engine.store.all().first)
        for path in [artifact.filesDirectory, artifact.filesDirectory + "/result.txt"] {
            var st = stat()
            #expect(lstat(path, &st) == 0)
            #expect(st.st_mode & 0o222 == 0, "\(path) is writable: \(String(st.st_mode, radix: 8))")
        }
        // Unreferenced once its pipeline file is gone: gc removes it despite the read-only tree.
        try FileManager.default.removeItem(atPath: ws.root + "/p.yaml")
        let plan = try engine.collectGarbage(keepingUnreferencedBytes: 0, dryRun: false)
        #expect(plan.removed.map(\.key) == [artifact.key])
        #expect(!FileManager.default.fileExists(atPath: artifact.directory))
    }

    @Test func gcRefusesWhileARunUsesTheCache() async throws {
        let ws = try Workspace()
        try ws.write("slow.yaml", "version: 1\nname: slow\nstages:\n  a: {plugin: testkit, with: {output: one}}\n  b: {plugin: testkit, after: [a], with: {mode: steps, steps: 200, seconds: 0.02}}\n")
        let engine = try ws.engine()
        let pipeline = try await ws.validate("slow.yaml", engine: engine)
        let run = Task { try await engine.run(pipeline) }
        // Wait until the run holds the cache (its shared lock makes the exclusive one unavailable).
        var busy = false
        for _ in 0..<500 where !busy {
            try await Task.sleep(for: .milliseconds(10))
            if let probe = try engine.store.exclusiveLock() { probe.release() } else { busy = true }
        }
        #expect(busy)
        // Stage a's fresh artifact is not referenced by any index until the run ends: gc must not touch it.
        #expect(throws: EngineError.self) { try engine.collectGarbage(keepingUnreferencedBytes: 0, dryRun: false) }
        #expect(try engine.collectGarbage(keepingUnreferencedBytes: 0, dryRun: true).removed.count <= 1)
        run.cancel()
        _ = try await run.value
        #expect(try engine.store.exclusiveLock() != nil, "released when the run ends")
    }

    @Test func aPluginReplacedAfterDiscoveryIsNotRun() async throws {
        let ws = try Workspace()
        try FileManager.default.createDirectory(atPath: ws.root + "/plugins", withIntermediateDirectories: true)
        let copy = ws.root + "/plugins/finetuned-stage-testkit"
        try FileManager.default.copyItem(atPath: Workspace.buildDirectory + "/finetuned-stage-testkit", toPath: copy)
        let engine = try ws.engine()
        let registry = await engine.discoverPlugins(directories: [ws.root + "/plugins"])
        try ws.write("p.yaml", "version: 1\nname: swap\nstages:\n  a: {plugin: testkit}\n")
        let pipeline = try PipelineValidator(registry: registry).validate(file: ws.root + "/p.yaml")
        // Same path, other bytes (appending keeps it a runnable ELF file).
        let handle = try #require(FileHandle(forWritingAtPath: copy))
        handle.seekToEndOfFile()
        handle.write(Data("tampered".utf8))
        try handle.close()
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["a": .failed])
        #expect(record.stages.first?.error?.contains("changed since it was discovered") == true)
    }
}
