import Datasets
import Foundation
import Models
import NN
import StageKit
import TestSupport
import Testing

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A folder with a tiny BERT (all-MiniLM-L6-v2's tokenizer and vocabulary, hidden size 8, no MLM head, as the
/// real base), a tokenize artifact with two packed corpora of real tokenizer ids (`corpus`: train + validation,
/// `general`: validation + test), and requests that run the real `finetuned-stage-domain-pretrain` and
/// `finetuned-stage-evaluate` executables on it.
final class EvaluateWorkspace: TemporaryFolder, @unchecked Sendable {
    static let tokenizer = repositoryRoot + "/Tests/TokenizersTests/Fixtures/minilm-tokenizer.json"
    static let buildDirectory = BuildProducts.directory(containing: "finetuned-stage-evaluate")
    static let evaluate = buildDirectory + "/finetuned-stage-evaluate"
    static let domainPretrain = buildDirectory + "/finetuned-stage-domain-pretrain"

    var model: String { root + "/model" }
    var artifact: String { root + "/artifact" }

    /// The base model's config: 30522 ids, hidden size 8, 32 positions.
    static let config = """
        {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522, "hidden_size": 8,
         "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16,
         "max_position_embeddings": 32, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
         "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}
        """

    init() throws {
        try super.init(prefix: "evaluate-test")
        let fm = FileManager.default
        for dir in [model, artifact + "/tokens/corpus", artifact + "/tokens/general"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: Self.tokenizer, toPath: model + "/tokenizer.json")
        try fm.copyItem(atPath: Self.tokenizer, toPath: artifact + "/tokenizer.json")
        try write("model/config.json", Self.config)
        let bert = BertModel(config: try BertConfig(contentsOf: URL(fileURLWithPath: model + "/config.json")), seed: 4)
        try bert.save(to: model + "/model.safetensors")

        // Packed blocks of 24 tokens ([CLS] … [SEP]) of ordinary WordPiece ids; the general corpus draws from
        // another id range, so training on the domain moves the two perplexities differently.
        func shard(_ input: String, _ split: String, rows: Int, salt: Int, range: Int) throws {
            let w = try TokenShardWriter(path: artifact + "/tokens/\(input)/\(split).bin", tokenWidth: 2)
            for r in 0..<rows {
                var ids: [UInt32] = [101] + (0..<22).map { UInt32(1000 + ((r * 31 + $0 * 977 + salt) % range)) } + [102]
                if r == rows - 1 { ids = Array(ids.prefix(13)) + [102] }  // the last block is shorter
                try w.append(ids)
            }
            try w.finish()
        }
        try shard("corpus", "train", rows: 40, salt: 1, range: 300)
        try shard("corpus", "validation", rows: 12, salt: 2, range: 300)
        try shard("general", "validation", rows: 12, salt: 3, range: 28000)
        try shard("general", "test", rows: 6, salt: 4, range: 28000)
        try writeIndex()
    }

    /// Writes the tokenize artifact's index.json: the two corpora, and `extraInputs` (more `"name": {…}` entries).
    func writeIndex(extraInputs: String = "") throws {
        let digest = try sha256sum(Self.tokenizer)
        let index = """
            {"format": 1, "max_length": 24, "seed": 3, "token_width": 2,
             "tokenizer": {"file": "tokenizer.json", "sha256": "\(digest)", "source": "model", "vocab_size": 30522,
                           "special_tokens": {"[CLS]": 101, "[MASK]": 103, "[PAD]": 0, "[SEP]": 102, "[UNK]": 100}},
             "inputs": {
               "corpus": {"layout": "packed", "splits": {
                 "train": {"file": "tokens/corpus/train.bin"}, "validation": {"file": "tokens/corpus/validation.bin"}}},
               "general": {"layout": "packed", "splits": {
                 "validation": {"file": "tokens/general/validation.bin"}, "test": {"file": "tokens/general/test.bin"}}}\(extraInputs)}}
            """
        try write("artifact/index.json", index)
    }

    /// The request line for stage `stage` writing into `name`/output.
    func request(
        _ name: String, stage: String, params: StageKit.JSONValue, upstream: [String: String], modelBase: String?
    ) throws -> Data {
        let fm = FileManager.default
        for d in ["output", "scratch"] {
            try fm.createDirectory(atPath: "\(root)/\(name)/\(d)", withIntermediateDirectories: true)
        }
        let run = RunRequest(
            pipeline: "test", stage: stage, runID: name, params: params, upstream: upstream, modelBase: modelBase,
            outputDir: "\(root)/\(name)/output", scratchDir: "\(root)/\(name)/scratch", seed: 3, threads: 1)
        return try JSONEncoder().encode(HostRequest(command: .run, run: run)) + Data("\n".utf8)
    }

    func output(_ name: String) -> String { "\(root)/\(name)/output" }

    struct Outcome {
        var status: Int32
        var events: [StageEvent]
        var error: String? { events.compactMap { e -> String? in if case .error(let m) = e { m } else { nil } }.first }
    }

    /// Runs `executable` on `request` to its end.
    func run(_ executable: String, _ request: Data) async throws -> Outcome {
        try await offThePool {
            var events: [StageEvent] = []
            let (status, _) = try runStagePlugin(executable, request: request) { line in
                if let e = try? JSONDecoder().decode(StageEvent.self, from: line) { events.append(e) }
                return false
            }
            return Outcome(status: status, events: events)
        }
    }
}
