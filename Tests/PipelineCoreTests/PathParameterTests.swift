import Foundation
import PipelineCore
import StageKit
import Testing

/// `path`-typed parameters: resolved, confined to the data roots, handed to the plugin resolved, and keyed by
/// content, never by path (issue 8, item 6).
@Suite struct PathParameterTests {
    static let registry = PluginRegistry(plugins: [
        PluginInfo(
            description: PluginDescription(
                name: "vocab", version: "1", summary: "",
                params: ParamSchema([ParamSpec("vocab", .path, required: true), ParamSpec("extra", .array(.path))])),
            executable: "/bin/true", digest: "0")
    ])

    static func project(_ root: String, vocab: String = "a b c\n") throws {
        try FileManager.default.createDirectory(atPath: root + "/pipelines", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/data/vocab", withIntermediateDirectories: true)
        try vocab.write(toFile: root + "/data/vocab.txt", atomically: true, encoding: .utf8)
        try "x\n".write(toFile: root + "/data/vocab/one.txt", atomically: true, encoding: .utf8)
    }

    static let text = "version: 1\nstages:\n  v: {plugin: vocab, with: {vocab: ../data/vocab.txt, extra: [../data/vocab]}}\n"

    static func validate(_ text: String, in root: String, roots: [String]? = nil) throws -> ValidatedPipeline {
        try PipelineValidator(registry: registry, resolver: DataResolver(allowedRoots: roots ?? [root + "/data"]))
            .validate(text: text, file: root + "/pipelines/p.yaml")
    }

    @Test func thePluginGetsTheResolvedPathAndTheKeyGetsTheContent() throws {
        let ws = try Workspace()
        try Self.project(ws.root + "/one")
        try Self.project(ws.root + "/two")
        let one = try Self.validate(Self.text, in: ws.root + "/one")
        let stage = try #require(one.stages["v"])
        let real = URL(fileURLWithPath: ws.root + "/one/data/vocab.txt").resolvingSymlinksInPath().path
        #expect(stage.params["vocab"] == .string(real))
        let engine = try Engine(stateDirectory: ws.root + "/state")
        let inputs = try engine.keyInputs(of: stage, in: one, upstream: [:])
        #expect(!inputs.canonicalJSON.contains(ws.root))
        let two = try Self.validate(Self.text, in: ws.root + "/two")
        let key = { (p: ValidatedPipeline) in Engine.key(of: try engine.keyInputs(of: p.stages["v"]!, in: p, upstream: [:])) }
        #expect(try key(one) == key(two))
        try "a b c d\n".write(toFile: ws.root + "/two/data/vocab.txt", atomically: true, encoding: .utf8)
        #expect(try key(one) != key(Self.validate(Self.text, in: ws.root + "/two")))
    }

    @Test func aPathOutsideTheRootsMissingOrAPatternIsALocatedError() throws {
        let ws = try Workspace()
        try Self.project(ws.root)
        try ws.write("secret.txt", "no\n")
        func problems(_ text: String) -> [String] {
            do {
                _ = try Self.validate(text, in: ws.root)
                return []
            } catch let invalid as PipelineInvalid {
                return invalid.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
            } catch { return ["\(error)"] }
        }
        #expect(problems("version: 1\nstages:\n  v: {plugin: vocab, with: {vocab: ../secret.txt}}\n")
            == ["3:36: stage 'v' (vocab): vocab: '\(ws.root)/secret.txt' is outside the allowed data roots"])
        #expect(problems("version: 1\nstages:\n  v: {plugin: vocab, with: {vocab: ../data/nope.txt}}\n")
            == ["3:36: stage 'v' (vocab): vocab: no file at '../data/nope.txt'"])
        #expect(problems("version: 1\nstages:\n  v: {plugin: vocab, with: {vocab: ../data/*.txt}}\n")
            == ["3:36: stage 'v' (vocab): vocab: a path names one file or folder; '../data/*.txt' is a pattern"])
    }

    @Test func theTypeRoundTripsThroughTheProtocol() throws {
        let data = try JSONEncoder().encode(ParamType.path)
        #expect(String(decoding: data, as: UTF8.self) == #"{"type":"path"}"#)
        #expect(try JSONDecoder().decode(ParamType.self, from: data) == .path)
    }
}
