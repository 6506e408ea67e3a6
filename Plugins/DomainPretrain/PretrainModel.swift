import Foundation
import Models
import NN
import StageKit
import Tensor

/// A batch of right-padded rows: `[B, T]` ids, the attention mask and per-position targets (-100: no loss).
struct LMBatch {
    var batch: Int
    var time: Int
    var ids: [Int32]
    var mask: [Int32]
    var targets: [Int32]
    /// Real (unpadded) tokens.
    var tokens: Int
    /// Positions with a target.
    var targetCount: Int { targets.reduce(0) { $0 + ($1 == -100 ? 0 : 1) } }
}

/// The model a domain-pretraining run adapts: an encoder with its masked-LM head, or a decoder (causal LM).
enum PretrainModel {
    /// BERT with an MLM head; `createdHead` when the checkpoint had none (all-MiniLM-L6-v2) and the stage made it.
    case masked(BertForMaskedLM, createdHead: Bool)
    case causal(GPTModel)

    var module: any Module {
        switch self {
        case .masked(let m, _): m
        case .causal(let m): m
        }
    }

    var vocabularySize: Int {
        switch self {
        case .masked(let m, _): m.bert.config.vocabSize
        case .causal(let m): m.config.vocabSize
        }
    }

    var maxPositions: Int {
        switch self {
        case .masked(let m, _): m.bert.config.maxPositionEmbeddings
        case .causal(let m): m.config.nPositions
        }
    }

    var layerCount: Int {
        switch self {
        case .masked(let m, _): m.bert.layers.count
        case .causal(let m): m.blocks.count
        }
    }

    /// Parameter-name patterns: the head (trained during the head warm-up), layer `i`, the embeddings.
    var headPatterns: [String] {
        switch self {
        case .masked: ["cls.*"]
        case .causal: []
        }
    }

    func layerPattern(_ i: Int) -> String {
        switch self {
        case .masked: "bert.encoder.layer.\(i).*"
        case .causal: "transformer.h.\(i).*"
        }
    }

    var embeddingPatterns: [String] {
        switch self {
        case .masked: ["bert.embeddings.*"]
        case .causal: ["transformer.wte.*", "transformer.wpe.*"]
        }
    }

    /// Parameters after the last layer that train with it (GPT's final LayerNorm).
    var finalPatterns: [String] {
        switch self {
        case .masked: []
        case .causal: ["transformer.ln_f.*"]
        }
    }

    /// Loads `config.json` + `model.safetensors` from an HF folder: `model_type` bert or gpt2.
    static func load(directory: String) throws -> PretrainModel {
        let url = URL(fileURLWithPath: directory)
        let configPath = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw StageFailure("\(configPath): not found (hint: model.base must be an HF model folder)")
        }
        let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let type = config["model_type"] as? String ?? ""
        do {
            switch type {
            case "bert":
                let config = try BertConfig(contentsOf: url.appendingPathComponent("config.json"))
                let model = BertForMaskedLM(config: config, pooler: false)
                let file = try SafeTensorsFile(path: directory + "/model.safetensors")
                let prefix =
                    file.entries["embeddings.word_embeddings.weight"] == nil
                        && file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
                try model.bert.load(from: file, prefix: prefix)
                let hasHead = file.entries["cls.predictions.transform.dense.weight"] != nil
                if hasHead { try model.head.load(from: file, prefix: "cls.") }
                return .masked(model, createdHead: !hasHead)
            case "gpt2":
                return .causal(try GPTModel(directory: url))
            default:
                throw StageFailure(
                    "\(configPath): model_type '\(type)' is not supported by domain-pretrain (bert: masked LM, "
                        + "gpt2: causal LM)")
            }
        } catch let error as StageFailure {
            throw error
        } catch {
            throw StageFailure("\(error)")
        }
    }

    /// The batch's mean loss over its targets, and the number of targets. Logits are computed only at the
    /// positions that have a target (row gather before the vocabulary projection).
    func loss(_ b: LMBatch, context: ForwardContext) -> (loss: Tensor, count: Int) {
        let at = b.targets.indices.filter { b.targets[$0] != -100 }
        let targets = at.map { b.targets[$0] }
        switch self {
        case .masked(let m, _):
            let input = EncoderInput(batch: b.batch, time: b.time, inputIds: b.ids, attentionMask: b.mask)
            let c = m.bert.config.hiddenSize
            let hidden = m.bert(input, context: context).reshaped([b.batch * b.time, c])  // [B·T, C]
            let logits = m.head(hidden.gatheringRows(at), wordEmbeddings: m.bert.wordEmbeddings.weight)  // [M, V]
            return (crossEntropy(logits: logits, targets: targets), at.count)
        case .causal(let m):
            let hidden = m.hidden(b.ids, batch: b.batch, time: b.time, attentionMask: b.mask, context: context)
            let rows = hidden.reshaped([b.batch * b.time, m.config.nEmbd]).gatheringRows(at)  // [M, C]
            let logits = linear(rows, weight: m.tokenEmbeddings.weight)  // [M, V]
            return (crossEntropy(logits: logits, targets: targets), at.count)
        }
    }

    /// Writes the model in HF layout: `config.json` (the base's, with the LM architecture) and
    /// `model.safetensors` under HF's names (`bert.…` + `cls.predictions.…`, or `transformer.…`).
    func export(to directory: String, baseConfig: String) throws {
        var config = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: baseConfig))))
            as? [String: Any] ?? [:]
        switch self {
        case .masked: config["architectures"] = ["BertForMaskedLM"]
        case .causal: config["architectures"] = ["GPT2LMHeadModel"]
        }
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: directory + "/config.json"))
        try module.save(to: directory + "/model.safetensors", metadata: ["format": "pt"])
    }
}
