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

/// A folder with a tiny BERT (all-MiniLM-L6-v2's tokenizer and vocabulary, hidden size 8, no MLM head), a
/// tokenize artifact with a packed corpus made of real tokenizer ids, and the request that runs the real
/// `finetuned-stage-domain-pretrain` executable on it.
final class DomainPretrainWorkspace: TemporaryFolder, @unchecked Sendable {
    static let tokenizer = repositoryRoot + "/Tests/TokenizersTests/Fixtures/minilm-tokenizer.json"
    static let executable = BuildProducts.directory(containing: "finetuned-stage-domain-pretrain")
        + "/finetuned-stage-domain-pretrain"

    var model: String { root + "/model" }
    var artifact: String { root + "/artifact" }

    /// A tiny BERT, or with `gpt` a tiny GPT-2, with `llama` a tiny Llama (causal LM), over the same vocabulary.
    init(tokenizerDigest: String? = nil, badValidationID: UInt32? = nil, gpt: Bool = false, llama: Bool = false) throws {
        try super.init(prefix: "dapt-test")
        let fm = FileManager.default
        for dir in [model, artifact + "/tokens/corpus"] { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try fm.copyItem(atPath: Self.tokenizer, toPath: model + "/tokenizer.json")
        try fm.copyItem(atPath: Self.tokenizer, toPath: artifact + "/tokenizer.json")
        let config = """
            {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522, "hidden_size": 8,
             "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16,
             "max_position_embeddings": 32, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
             "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}
            """
        if llama {
            var c = LlamaConfig()
            (c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers) = (30522, 8, 12, 2)
            (c.numAttentionHeads, c.numKeyValueHeads, c.maxPositionEmbeddings, c.ropeTheta) = (2, 1, 32, 100)
            try LlamaModel(config: c, seed: 4).save(to: URL(fileURLWithPath: model))
        } else if gpt {
            try write(
                "model/config.json",
                """
                {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 30522, "n_positions": 32,
                 "n_embd": 8, "n_layer": 2, "n_head": 2, "activation_function": "gelu_new", "resid_pdrop": 0.1,
                 "embd_pdrop": 0.1, "attn_pdrop": 0.1, "layer_norm_epsilon": 1e-5}
                """)
            let decoder = GPTModel(config: try GPTConfig(contentsOf: URL(fileURLWithPath: model + "/config.json")), seed: 4)
            try decoder.save(to: model + "/model.safetensors")
        } else {
            try write("model/config.json", config)
            let bert = BertModel(config: try BertConfig(contentsOf: URL(fileURLWithPath: model + "/config.json")), seed: 4)
            try bert.save(to: model + "/model.safetensors")
        }

        // Packed blocks of 24 tokens ([CLS] … [SEP]); ids of ordinary WordPiece tokens (1000 ..< 29000).
        func shard(_ split: String, rows: Int, salt: Int, bad: UInt32? = nil) throws {
            let w = try TokenShardWriter(path: artifact + "/tokens/corpus/\(split).bin", tokenWidth: 2)
            for r in 0..<rows {
                var ids: [UInt32] = [101] + (0..<22).map { UInt32(1000 + ((r * 31 + $0 * 977 + salt) % 28000)) } + [102]
                if r == 3, let bad { ids[5] = bad }
                if r == rows - 1 { ids = Array(ids.prefix(13)) + [102] }  // the last block is shorter
                try w.append(ids)
            }
            try w.finish()
        }
        try shard("train", rows: 40, salt: 1)
        try shard("validation", rows: 8, salt: 2, bad: badValidationID)
        let digest = try tokenizerDigest ?? sha256sum(Self.tokenizer)
        let index = """
            {"format": 1, "max_length": 24, "seed": 3, "token_width": 2,
             "tokenizer": {"file": "tokenizer.json", "sha256": "\(digest)", "source": "model", "vocab_size": 30522,
                           "special_tokens": {"[CLS]": 101, "[MASK]": 103, "[PAD]": 0, "[SEP]": 102, "[UNK]": 100}},
             "inputs": {"corpus": {"layout": "packed", "splits": {
                 "train": {"file": "tokens/corpus/train.bin"}, "validation": {"file": "tokens/corpus/validation.bin"}}}}}
            """
        try write("artifact/index.json", index)
    }

    /// The request line for a run writing into `name`/output with checkpoints in `name`/scratch.
    func request(_ name: String, params: StageKit.JSONValue) throws -> Data {
        let fm = FileManager.default
        for d in ["output", "scratch"] { try fm.createDirectory(atPath: "\(root)/\(name)/\(d)", withIntermediateDirectories: true) }
        let run = RunRequest(
            pipeline: "test", stage: "dapt", runID: name, params: params, upstream: ["tokenize": artifact],
            modelBase: model, outputDir: "\(root)/\(name)/output", scratchDir: "\(root)/\(name)/scratch", seed: 3,
            threads: 1)
        return try JSONEncoder().encode(HostRequest(command: .run, run: run)) + Data("\n".utf8)
    }

    struct Outcome {
        var status: Int32
        var reason: Process.TerminationReason
        var events: [StageEvent]
        var killedAfterCheckpoint: Int?
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
