import Foundation
import PipelineCore
import StageKit
import Testing

/// Data-root confinement holds at run time, not only when the file was validated (issue 8, item 7).
@Suite struct EngineConfinementTests {
    @Test func aDataFileSwappedForASymlinkOutOfTheRootsFailsTheStage() async throws {
        let ws = try Workspace()
        try ws.write("inside/a.txt", "inside words\n")
        try ws.write("outside/secret.txt", "secret words\n")
        try ws.write("p.yaml", "version: 1\nname: swap\ndata:\n  d: inside/a.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        let engine = try ws.engine()
        let registry = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        let pipeline = try PipelineValidator(registry: registry, resolver: DataResolver(allowedRoots: [ws.root + "/inside"]))
            .validate(file: ws.root + "/p.yaml")
        // After validation, before the (queued) run: the file becomes a link to a file outside the roots.
        try FileManager.default.removeItem(atPath: ws.root + "/inside/a.txt")
        try FileManager.default.createSymbolicLink(atPath: ws.root + "/inside/a.txt", withDestinationPath: ws.root + "/outside/secret.txt")
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["count": .failed])
        #expect(record.stages.first?.error?.contains("is no longer a regular file inside the data roots") == true)
    }

    @Test func pluginsAreHandedResolvedPaths() async throws {
        let ws = try Workspace()
        try ws.write("inside/real/a.txt", "one two three\n")
        try FileManager.default.createSymbolicLink(atPath: ws.root + "/inside/link.txt", withDestinationPath: ws.root + "/inside/real/a.txt")
        try ws.write("p.yaml", "version: 1\nname: link\ndata:\n  d: inside/../inside/link.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        let engine = try ws.engine()
        let registry = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        let pipeline = try PipelineValidator(registry: registry, resolver: DataResolver(allowedRoots: [ws.root + "/inside"]))
            .validate(file: ws.root + "/p.yaml")
        let stage = pipeline.stages["count"]!
        let data = try Engine.confinedDataForTesting(of: stage, in: pipeline)
        #expect(data["d"]?.files == [DataResolverTestsPaths.real(ws.root + "/inside/real/a.txt")])
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["count": .succeeded])
    }
}

enum DataResolverTestsPaths {
    static func real(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
}
