import Foundation
import PipelineCore
import StageKit
import Testing

/// The plugin memo in the cache folder cannot decide what is executed (issue 8, item 5).
@Suite struct PluginRegistryTests {
    @Test func aForgedMemoCannotRedirectAPluginToAnotherBinary() async throws {
        let ws = try Workspace()
        let engine = try ws.engine()
        let registry = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        let real = try #require(registry["wordcount"])
        // A group member rewrites cache/plugins.json: same path and digest, another executable.
        var forged = real
        forged.executable = ws.root + "/evil"
        let memo = try JSONEncoder().encode([real.executable: forged])
        try memo.write(to: URL(fileURLWithPath: ws.state + "/cache/plugins.json"))
        let again = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        #expect(again["wordcount"]?.executable == real.executable)
        // A memo entry naming another plugin for this file is not believed either.
        var renamed = real
        renamed.description.name = "tokenize"
        try JSONEncoder().encode([real.executable: renamed]).write(to: URL(fileURLWithPath: ws.state + "/cache/plugins.json"))
        let third = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        #expect(third["wordcount"]?.description.name == "wordcount")
    }

    @Test func theUnitKeepsTheStateFolderOutOfTheGroupsReach() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let unit = try String(contentsOfFile: root + "/packaging/systemd/finetuned.service", encoding: .utf8)
        let lines = Set(unit.split(separator: "\n").map(String.init))
        for line in ["UMask=0027", "StateDirectoryMode=0750", "NoExecPaths=/", "ExecPaths=/usr"] {
            #expect(lines.contains(line), "\(line)")
        }
        let tmpfiles = try String(contentsOfFile: root + "/packaging/tmpfiles.d/finetuned.conf", encoding: .utf8)
        #expect(tmpfiles.contains("d /var/lib/finetuned 0750 "))
        #expect(tmpfiles.contains("d /var/lib/finetuned/pipelines 2770 "))
        #expect(tmpfiles.contains("d /var/lib/finetuned/data 2770 "))
    }
}
