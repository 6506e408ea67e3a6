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

/// A folder with a tiny BERT (all-MiniLM-L6-v2's tokenizer and vocabulary, hidden size 8), a tokenize artifact
/// with three learnable tasks made of real tokenizer ids — `topic` (2 classes: which of two id ranges a row draws
/// from), `length` (3 classes: short, medium, long rows) and `share` (regression: the share of a row's ids from the
/// first range) — and an unlabelled `general` input, and the request that runs the real
/// `finetuned-stage-multitask-finetune` executable on it.
final class MultitaskWorkspace: TemporaryFolder, @unchecked Sendable {
    static let tokenizer = repositoryRoot + "/Tests/TokenizersTests/Fixtures/minilm-tokenizer.json"
    static let executable = BuildProducts.directory(containing: "finetuned-stage-multitask-finetune")
        + "/finetuned-stage-multitask-finetune"

    var model: String { root + "/model" }
    var artifact: String { root + "/artifact" }
    /// A domain-pretrain-like output (HF BertForMaskedLM names, `bert.` prefix) with other weights.
    var dapt: String { root + "/dapt" }

    init(badTrainID: UInt32? = nil) throws {
        try super.init(prefix: "mt-test")
        let fm = FileManager.default
        for dir in [model, dapt, artifact] { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        for dir in [model, dapt, artifact] { try fm.copyItem(atPath: Self.tokenizer, toPath: dir + "/tokenizer.json") }
        let config = """
            {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522, "hidden_size": 8,
             "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16,
             "max_position_embeddings": 32, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
             "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}
            """
        try write("model/config.json", config)
        try write("dapt/config.json", config)
        let bertConfig = try BertConfig(contentsOf: URL(fileURLWithPath: model + "/config.json"))
        try BertModel(config: bertConfig, pooler: false, seed: 4).save(to: model + "/model.safetensors")
        try BertModel(config: bertConfig, pooler: false, seed: 5).save(to: dapt + "/model.safetensors", prefix: "bert.")

        var rng = SplitMix64(seed: 11)
        /// A row: [CLS] ids [SEP]; `a` of its `n` ids from 2000..<2100, the rest from 5000..<5100.
        func row(a: Int, n: Int) -> [UInt32] {
            var ids: [UInt32] = []
            for i in 0..<n { ids.append(UInt32(i < a ? 2000 + rng.next(below: 100) : 5000 + rng.next(below: 100))) }
            for i in stride(from: ids.count - 1, to: 0, by: -1) { ids.swapAt(i, rng.next(below: i + 1)) }
            return [101] + ids + [102]
        }
        func shard(_ input: String, _ split: String, rows: Int, contents: TokenShard.Contents,
                   _ make: (Int) throws -> (ids: [UInt32], label: Int32, value: Float)) throws {
            try fm.createDirectory(atPath: artifact + "/tokens/" + input, withIntermediateDirectories: true)
            let w = try TokenShardWriter(path: artifact + "/tokens/\(input)/\(split).bin", tokenWidth: 2, contents: contents)
            for r in 0..<rows {
                let (ids, label, value) = try make(r)
                try w.append(ids, classLabel: label, numericLabel: value)
            }
            try w.finish()
        }
        for (split, rows) in [("train", 48), ("validation", 16), ("test", 12)] {
            try shard("topic", split, rows: rows, contents: .classLabels) { r in
                let label = Int32(r % 2)
                var ids = row(a: label == 0 ? 9 : 1, n: 10)
                if r == 5, split == "train", let badTrainID { ids[3] = badTrainID }
                return (ids, label, .nan)
            }
            try shard("length", split, rows: rows, contents: .classLabels) { r in
                let label = Int32(r % 3)
                return (row(a: 3, n: [4, 12, 24][Int(label)]), label, .nan)
            }
            try shard("share", split, rows: rows, contents: .numericLabels) { r in
                let a = r % 9
                return (row(a: a, n: 8), -1, Float(a) / 8)
            }
            try shard("general", split, rows: rows, contents: []) { _ in (row(a: 0, n: 10), -1, .nan) }
        }
        let digest = try sha256sum(Self.tokenizer)
        func entry(_ input: String, _ labels: String) -> String {
            """
            "\(input)": {"layout": "rows", "labels": \(labels), "splits": {
                "train": {"file": "tokens/\(input)/train.bin"}, "validation": {"file": "tokens/\(input)/validation.bin"},
                "test": {"file": "tokens/\(input)/test.bin"}}}
            """
        }
        let index = """
            {"format": 1, "max_length": 32, "seed": 3, "token_width": 2,
             "tokenizer": {"file": "tokenizer.json", "sha256": "\(digest)", "source": "model", "vocab_size": 30522,
                           "special_tokens": {"[CLS]": 101, "[MASK]": 103, "[PAD]": 0, "[SEP]": 102, "[UNK]": 100}},
             "inputs": {
               \(entry("topic", #"{"kind": "class", "vocabulary": ["first", "second"]}"#)),
               \(entry("length", #"{"kind": "class", "vocabulary": ["long", "medium", "short"]}"#)),
               \(entry("share", #"{"kind": "number"}"#)),
               \(entry("general", "null"))}}
            """
        try write("artifact/index.json", index)
    }

    /// The request line for a run writing into `name`/output with checkpoints in `name`/scratch; `upstream`
    /// adds stages beside the tokenize artifact.
    func request(_ name: String, params: StageKit.JSONValue, upstream: [String: String] = [:]) throws -> Data {
        let fm = FileManager.default
        for d in ["output", "scratch"] { try fm.createDirectory(atPath: "\(root)/\(name)/\(d)", withIntermediateDirectories: true) }
        let run = RunRequest(
            pipeline: "test", stage: "mt", runID: name, params: params,
            upstream: ["tokenize": artifact].merging(upstream) { a, _ in a },
            modelBase: model, outputDir: "\(root)/\(name)/output", scratchDir: "\(root)/\(name)/scratch", seed: 3,
            threads: 1)
        return try JSONEncoder().encode(HostRequest(command: .run, run: run)) + Data("\n".utf8)
    }

    struct Outcome {
        var status: Int32
        var reason: Process.TerminationReason
        var events: [StageEvent]
        var killedAfterCheckpoint: Int?

        var error: String? { events.compactMap { e -> String? in if case .error(let m) = e { m } else { nil } }.first }
        var logs: [String] { events.compactMap { e -> String? in if case .log(_, let m) = e { m } else { nil } } }
    }

    /// Runs the plugin on `request`; with `killAfterCheckpoint`, sends SIGKILL as soon as it reports a
    /// checkpoint at that step or later.
    func run(_ request: Data, killAfterCheckpoint: Int? = nil) async throws -> Outcome {
        try await offThePool {
            var events: [StageEvent] = []
            var killed: Int?
            let (status, reason) = try runStagePlugin(Self.executable, request: request) { line in
                guard let event = try? JSONDecoder().decode(StageEvent.self, from: line) else { return false }
                events.append(event)
                if killed == nil, let k = killAfterCheckpoint, case .checkpoint(let step) = event, step >= k {
                    killed = step
                    return true
                }
                return false
            }
            return Outcome(status: status, reason: reason, events: events, killedAfterCheckpoint: killed)
        }
    }
}
