import Foundation
import PipelineCore
import StageKit
import TestSupport
import Testing
import Tokenizers

/// The folder `scripts/fetch-assets` filled: `$FINETUNED_ASSETS`, else `<repo>/assets`.
let assetsFolder = ProcessInfo.processInfo.environment["FINETUNED_ASSETS"] ?? repositoryRoot + "/assets"
let assetsRequired = ProcessInfo.processInfo.environment["FINETUNED_REQUIRE_ASSETS"] == "1"
let assetsPresent = FileManager.default.fileExists(atPath: assetsFolder + "/MANIFEST.json")

/// The real spam and TREC data with the real all-MiniLM-L6-v2 tokenizer. Skipped when the assets are missing
/// (run scripts/fetch-assets), unless FINETUNED_REQUIRE_ASSETS=1 — then missing assets fail.
@Suite(
    .enabled(
        if: assetsPresent || assetsRequired,
        "SKIPPED: no fetched assets at \(assetsFolder) (run scripts/fetch-assets, or set FINETUNED_ASSETS)"))
struct TokenizeAssetsTests {
    struct Manifest: Decodable {
        struct SplitCounts: Decodable {
            let rows: Int
            let label: [String: Int]?
            let coarse: [String: Int]?
        }
        let tasks: [String: [String: SplitCounts]]
    }

    @Test func realSpamAndTRECKeepTheirSplitsAndCountsAndRerunFromCache() async throws {
        try #require(assetsPresent, "FINETUNED_REQUIRE_ASSETS=1 but \(assetsFolder)/MANIFEST.json is missing")
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: assetsFolder + "/MANIFEST.json")))
        let ws = try TokenizeWorkspace()
        try ws.write(
            "p.yaml",
            """
            version: 1
            seed: 13
            model: { base: \(assetsFolder)/all-MiniLM-L6-v2 }
            data:
              spam:     { path: \(assetsFolder)/data/spam/*.jsonl, text: text, label: label }
              question: { path: \(assetsFolder)/data/trec/*.jsonl, text: text, label: coarse }
            stages:
              tokenize: { plugin: tokenize, inputs: [spam, question], with: { max_length: 128 } }
            """)
        let outcome = try await ws.run(threads: 2)
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let index = try outcome.index()
        for (input, task, labels) in [("spam", "spam", "label"), ("question", "trec", "coarse")] {
            #expect(index["inputs", input, "split_source"] == "files")
            for split in ["train", "validation", "test"] {
                let expected = try #require(manifest.tasks[task]?[split])
                let counts = (labels == "label" ? expected.label : expected.coarse) ?? [:]
                #expect(try outcome.shard(input, split).count == expected.rows, "\(input)/\(split)")
                #expect(
                    index["inputs", input, "splits", split, "label_counts"] == .object(counts.mapValues { .int($0) }),
                    "\(input)/\(split)")
            }
        }
        let summary = outcome.stage.summary
        print(
            "tokenize on real spam+trec: \(summary?["rows"]?.intValue ?? 0) rows, \(summary?["tokens"]?.intValue ?? 0) "
                + "tokens, \(summary?["rows_per_second"]?.doubleValue ?? 0) rows/s, "
                + "\(summary?["tokens_per_second"]?.doubleValue ?? 0) tokens/s (debug build, 2 threads)")
        #expect(try await ws.run(threads: 2).record.executed.isEmpty)
    }

    /// A model folder holding a GGUF file and no config.json (SmolLM2) tokenizes with the tokenizer its metadata
    /// defines: written into the artifact as tokenizer.json, and the shards hold that tokenizer's ids.
    @Test func aGGUFModelFolderTokenizesWithItsMetadatasTokenizer() async throws {
        let folder = assetsFolder + "/SmolLM2-135M-Instruct"
        try #require(FileManager.default.fileExists(atPath: folder), "\(folder) missing (scripts/fetch-assets)")
        let ws = try TokenizeWorkspace()
        try ws.write(
            "p.yaml",
            """
            version: 1
            seed: 13
            model: { base: \(folder) }
            data:
              spam: { path: \(Fixture.spam), text: text, label: label }
            stages:
              tokenize: { plugin: tokenize, inputs: [spam], with: { max_length: 64, splits: { train: 0.8, validation: 0.2, test: 0 } } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let index = try outcome.index()
        #expect(index["tokenizer", "source"] == "model")
        #expect(index["tokenizer", "vocab_size"] == 49152)
        #expect(index["tokenizer", "special_tokens", "<|im_start|>"] == 1)
        let json = outcome.files + "/tokenizer.json"
        #expect(index["tokenizer", "sha256"]?.stringValue == (try sha256sum(json)))
        let tokenizer = try await offThePool { try Tokenizer(contentsOf: URL(fileURLWithPath: json)) }
        let texts = try Fixture.records(Fixture.spam, label: "label").map(\.text)
        let shards = try ["train", "validation"].map { try outcome.shard("spam", $0) }
        #expect(shards.reduce(0) { $0 + $1.count } == texts.count)
        let expected = Set(try await offThePool { try texts.map { try tokenizer.encode($0).ids.prefix(64).map { UInt32($0) } } })
        for shard in shards {
            for r in 0..<shard.count { #expect(expected.contains(shard.tokens(at: r)), "row \(r)") }
        }
        #expect(try await ws.run().record.executed.isEmpty)  // the GGUF's content is in the cache key
    }

    /// The example pipeline of the repository validates and names real files (it reads `<repo>/assets`).
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: repositoryRoot + "/assets/MANIFEST.json"),
            "SKIPPED: etc/finetuned/pipelines/tokenize.yaml reads <repo>/assets, which is missing"))
    func theExamplePipelineValidates() async throws {
        let ws = try TokenizeWorkspace()
        let engine = try Engine(stateDirectory: ws.state)
        let registry = await engine.discoverPlugins(directories: [TokenizeWorkspace.buildDirectory])
        let pipeline = try PipelineValidator(registry: registry).validate(
            file: repositoryRoot + "/etc/finetuned/pipelines/tokenize.yaml")
        #expect(pipeline.data["spam"]?.files.count == 3 && pipeline.data["question"]?.files.count == 3)
    }
}
