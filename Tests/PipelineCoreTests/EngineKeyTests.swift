import Foundation
import PipelineCore
import PipelineFuzzing
import StageKit
import Testing

/// What goes into a stage's cache key (docs/cache.md) and what does not (issue 8, item 8).
@Suite struct EngineKeyTests {
    /// A project folder: the pipeline in `pipelines/`, data beside it reached through `..`, a model folder.
    static func project(in root: String, data: String = "some words\n") throws {
        let fm = FileManager.default
        for dir in ["pipelines", "data/sub", "model"] { try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true) }
        try data.write(toFile: root + "/data/a.txt", atomically: true, encoding: .utf8)
        try "more\n".write(toFile: root + "/data/sub/b.txt", atomically: true, encoding: .utf8)
        try "{}\n".write(toFile: root + "/model/config.json", atomically: true, encoding: .utf8)
    }

    static let base = """
        version: 1
        name: keys
        seed: 3
        model: {base: ../model}
        data:
          legal: {path: ../data/**/*.txt, format: text}
        stages:
          tok: {plugin: tokenize, inputs: [legal]}
          train: {plugin: train, after: [tok], inputs: [legal], with: {steps: 20, corpus: legal}}

        """

    /// The keys of both stages (the upstream digest of `tok` is a fixed stand-in: nothing runs).
    static func keys(
        _ text: String, root: String, registry: PluginRegistry = PipelineFuzzer.registry, state: String
    ) throws -> [String] {
        let pipeline = try PipelineValidator(registry: registry).validate(text: text, file: root + "/pipelines/p.yaml")
        let engine = try Engine(stateDirectory: state)
        let tok = try engine.keyInputs(of: pipeline.stages["tok"]!, in: pipeline, upstream: [:])
        let train = try engine.keyInputs(of: pipeline.stages["train"]!, in: pipeline, upstream: ["tok": "d1"])
        return [Engine.key(of: tok), Engine.key(of: train)]
    }

    @Test func theSameProjectInTwoFoldersHasTheSameKeys() throws {
        let ws = try Workspace()
        try Self.project(in: ws.root + "/one")
        try Self.project(in: ws.root + "/elsewhere/two")
        let state = ws.root + "/state"
        let a = try Self.keys(Self.base, root: ws.root + "/one", state: state)
        let b = try Self.keys(Self.base, root: ws.root + "/elsewhere/two", state: state)
        #expect(a == b)
        // And no absolute path is in the key inputs at all.
        let pipeline = try PipelineValidator(registry: PipelineFuzzer.registry).validate(text: Self.base, file: ws.root + "/one/pipelines/p.yaml")
        let inputs = try Engine(stateDirectory: state).keyInputs(of: pipeline.stages["train"]!, in: pipeline, upstream: ["tok": "d1"])
        #expect(!inputs.canonicalJSON.contains(ws.root))
        #expect(inputs.canonicalJSON.contains("\"sub/b.txt\""))
    }

    /// Each field of docs/cache.md, changed one at a time, changes the key of `train`.
    @Test(arguments: [
        ("params", "steps: 20", "steps: 21"),
        ("params (a default made explicit is the same; another value is not)", "corpus: legal}", "corpus: legal, objective: clm}"),
        ("seed", "seed: 3", "seed: 4"),
        ("data format", "format: text", "format: jsonl"),
        ("data fields", "format: text}", "format: text, text: body}"),
        ("data on_error", "format: text}", "format: text, on_error: skip}"),
        ("data files (a narrower glob)", "../data/**/*.txt", "../data/*.txt"),
    ])
    func eachKeyFieldChangesTheKey(field: String, from: String, to: String) throws {
        let ws = try Workspace()
        try Self.project(in: ws.root + "/p")
        let before = try Self.keys(Self.base, root: ws.root + "/p", state: ws.root + "/state")
        let after = try Self.keys(Self.base.replacingOccurrences(of: from, with: to), root: ws.root + "/p", state: ws.root + "/state")
        #expect(before[1] != after[1], "\(field)")
    }

    @Test func contentOfDataAndModelFilesPluginIdentityAndUpstreamChangeTheKey() throws {
        let ws = try Workspace()
        try Self.project(in: ws.root + "/p")
        let state = ws.root + "/state"
        let before = try Self.keys(Self.base, root: ws.root + "/p", state: state)
        // Data bytes.
        try "other words\n".write(toFile: ws.root + "/p/data/a.txt", atomically: true, encoding: .utf8)
        let data = try Self.keys(Self.base, root: ws.root + "/p", state: state)
        #expect(data[0] != before[0] && data[1] != before[1])
        // A declared model file.
        try "{\"x\": 1}\n".write(toFile: ws.root + "/p/model/config.json", atomically: true, encoding: .utf8)
        let model = try Self.keys(Self.base, root: ws.root + "/p", state: state)
        #expect(model[1] != data[1])
        #expect(model[0] == data[0], "tokenize declares no model files")
        // Plugin name, version, digest, protocol.
        let train = PipelineFuzzer.registry["train"]!
        for change in [
            { (p: inout PluginInfo) in p.description.version = "2" }, { $0.digest = "1" }, { $0.description.protocolVersion += 1 },
        ] {
            var changed = train
            change(&changed)
            let registry = PluginRegistry(plugins: [changed, PipelineFuzzer.registry["tokenize"]!])
            #expect(try Self.keys(Self.base, root: ws.root + "/p", registry: registry, state: state)[1] != model[1])
        }
        // Upstream output digest.
        let pipeline = try PipelineValidator(registry: PipelineFuzzer.registry).validate(text: Self.base, file: ws.root + "/p/pipelines/p.yaml")
        let engine = try Engine(stateDirectory: state)
        let d1 = Engine.key(of: try engine.keyInputs(of: pipeline.stages["train"]!, in: pipeline, upstream: ["tok": "d1"]))
        let d2 = Engine.key(of: try engine.keyInputs(of: pipeline.stages["train"]!, in: pipeline, upstream: ["tok": "d2"]))
        #expect(d1 != d2)
    }

    /// What docs/cache.md leaves out: names, descriptions, timeouts, threads and jobs, the file's location.
    @Test(arguments: [
        ("pipeline name", "name: keys", "name: other"),
        ("a description", "seed: 3", "seed: 3\ndescription: words"),
        ("a timeout", "with: {steps: 20", "timeout: 2h, with: {steps: 20"),
        ("YAML style", "  train: {plugin: train, after: [tok], inputs: [legal], with: {steps: 20, corpus: legal}}",
         "  train:\n    plugin: train\n    after: tok\n    inputs: [legal]\n    with:\n      corpus: legal\n      steps: 20"),
        ("a default written out", "corpus: legal}", "corpus: legal, objective: mlm}"),
        ("an integer where a number is declared", "corpus: legal}", "corpus: legal, lr: 0.001}"),
    ])
    func nothingElseChangesTheKey(what: String, from: String, to: String) throws {
        let ws = try Workspace()
        try Self.project(in: ws.root + "/p")
        let before = try Self.keys(Self.base, root: ws.root + "/p", state: ws.root + "/state")
        let after = try Self.keys(Self.base.replacingOccurrences(of: from, with: to), root: ws.root + "/p", state: ws.root + "/state")
        #expect(before == after, "\(what)")
        let threads = try Engine(stateDirectory: ws.root + "/state", jobs: 7, threadsPerStage: 5)
        let pipeline = try PipelineValidator(registry: PipelineFuzzer.registry).validate(text: Self.base, file: ws.root + "/p/pipelines/p.yaml")
        #expect(Engine.key(of: try threads.keyInputs(of: pipeline.stages["train"]!, in: pipeline, upstream: ["tok": "d1"])) == before[1])
    }
}
