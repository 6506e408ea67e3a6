import Datasets
import Foundation
import PipelineCore
import StageKit
import TestSupport
import Testing
import Tokenizers

/// The repository's root, found from this file's path (the tests read fixtures of other test targets in place).
let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Small real samples (spam, TREC, Emma) and the all-MiniLM-L6-v2 tokenizer.json that the Tokenizers goldens use.
enum Fixture {
    static let minilmTokenizer = repositoryRoot + "/Tests/TokenizersTests/Fixtures/minilm-tokenizer.json"
    static let spam = repositoryRoot + "/Tests/DatasetsTests/Fixtures/tasks/spam.jsonl"
    static let trec = repositoryRoot + "/Tests/DatasetsTests/Fixtures/tasks/trec.jsonl"
    static let emma = repositoryRoot + "/Tests/DatasetsTests/Fixtures/emma-chapters.txt"

    /// The MiniLM tokenizer as the plugin should apply it: no padding, truncation at `maxLength`.
    static func minilm(maxLength: Int?) throws -> Tokenizer {
        var tokenizer = try Tokenizer(contentsOf: URL(fileURLWithPath: minilmTokenizer))
        tokenizer.padding = nil
        tokenizer.truncation = maxLength.map { TruncationParams(maxLength: $0) }
        return tokenizer
    }

    /// `minilm(maxLength:)`, loaded off the cooperative pool.
    static func loadMinilm(maxLength: Int?) async throws -> Tokenizer {
        try await offThePool { try minilm(maxLength: maxLength) }
    }

    /// What the library encodes for each text (and pair), computed off the cooperative pool.
    static func encodings(_ tokenizer: Tokenizer, _ texts: [String], pairs: [String]? = nil) async throws -> [Encoding]
    {
        try await offThePool { try texts.indices.map { try tokenizer.encode(texts[$0], pair: pairs?[$0]) } }
    }

    /// The ids of `encodings(...)` as shards store them.
    static func ids(_ tokenizer: Tokenizer, _ texts: [String]) async throws -> [[UInt32]] {
        try await encodings(tokenizer, texts).map { $0.ids.map { UInt32($0) } }
    }

    /// The records of a JSONL file, read with the Datasets reader.
    static func records(_ path: String, label: String?) throws -> [Record] {
        var records: [Record] = []
        try JSONLReader(mapping: FieldMapping(text: "text", label: label)).read(path: path, policy: .fail) {
            records.append($0)
        }
        return records
    }
}

/// A temporary folder with data, a model folder and pipeline files, run through the real engine and the real
/// `finetuned-stage-tokenize` executable.
final class TokenizeWorkspace: TemporaryFolder, @unchecked Sendable {
    var state: String { root + "/state" }

    init() throws { try super.init(prefix: "tokenize-test") }

    /// The folder holding the built executables.
    static let buildDirectory = BuildProducts.directory(containing: "finetuned-stage-tokenize")

    func copy(_ source: String, to relative: String) throws {
        try write(relative, try String(contentsOfFile: source, encoding: .utf8))
    }

    /// A model folder with the MiniLM tokenizer.json.
    func addModel(at relative: String = "model") throws {
        try copy(Fixture.minilmTokenizer, to: relative + "/tokenizer.json")
    }

    struct Outcome {
        var record: RunRecord
        var artifact: Artifact?
        var stage: RunRecord.Stage { record.stage("tokenize")! }
        var files: String { artifact!.filesDirectory }

        func index() throws -> StageKit.JSONValue {
            try JSONDecoder().decode(
                StageKit.JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: files + "/index.json")))
        }

        func shard(_ input: String, _ split: String) throws -> TokenShardReader {
            try TokenShardReader(path: files + "/tokens/\(input)/\(split).bin")
        }
    }

    /// Validates and runs `file`; the outcome of its `tokenize` stage.
    func run(_ file: String = "p.yaml", threads: Int = 1) async throws -> Outcome {
        let engine = try Engine(
            stateDirectory: state, runner: SubprocessStageRunner(gracePeriod: .seconds(2)), jobs: 1,
            threadsPerStage: threads)
        let registry = await engine.discoverPlugins(directories: [Self.buildDirectory])
        #expect(registry["tokenize"] != nil, "finetuned-stage-tokenize not found in \(Self.buildDirectory)")
        let pipeline = try PipelineValidator(registry: registry).validate(file: root + "/" + file)
        let record = try await engine.run(pipeline)
        let artifact = record.stage("tokenize")?.key.flatMap { engine.store.lookup($0) }
        return Outcome(record: record, artifact: artifact)
    }
}

extension StageKit.JSONValue {
    /// `value["a", "b", "c"]` for nested objects.
    subscript(path: String...) -> StageKit.JSONValue? {
        var current: StageKit.JSONValue? = self
        for key in path { current = current?.objectValue?[key] }
        return current
    }
}

extension TokenShardReader {
    var allTokens: [[UInt32]] { (0..<count).map { tokens(at: $0) } }
}
