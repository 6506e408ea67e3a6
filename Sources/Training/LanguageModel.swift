import Foundation
import Models
import NN
import Tensor

/// A language model as the LM stages train and evaluate it: an encoder with its masked-LM head, or a decoder
/// (causal LM: GPT-2 or Llama).
public enum LanguageModel {
    /// BERT with an MLM head; `createdHead` when the checkpoint had none (all-MiniLM-L6-v2) and the stage made it.
    case masked(BertForMaskedLM, createdHead: Bool)
    case causal(GPTModel)
    /// A Llama decoder (`LlamaForCausalLM`), from an HF folder or a GGUF file.
    case llama(LlamaModel)

    /// Whether the objective is causal LM (a decoder).
    public var isCausal: Bool {
        if case .masked = self { return false }
        return true
    }

    public var module: any Module {
        switch self {
        case .masked(let m, _): m
        case .causal(let m): m
        case .llama(let m): m
        }
    }

    public var vocabularySize: Int {
        switch self {
        case .masked(let m, _): m.bert.config.vocabSize
        case .causal(let m): m.config.vocabSize
        case .llama(let m): m.config.vocabSize
        }
    }

    public var maxPositions: Int {
        switch self {
        case .masked(let m, _): m.bert.config.maxPositionEmbeddings
        case .causal(let m): m.config.nPositions
        case .llama(let m): m.config.maxPositionEmbeddings
        }
    }

    public var layerCount: Int {
        switch self {
        case .masked(let m, _): m.bert.layers.count
        case .causal(let m): m.blocks.count
        case .llama(let m): m.layers.count
        }
    }

    /// Parameter-name patterns: the head (trained during the head warm-up), layer `i`, the embeddings.
    public var headPatterns: [String] {
        switch self {
        case .masked: ["cls.*"]
        case .causal, .llama: []
        }
    }

    public func layerPattern(_ i: Int) -> String {
        switch self {
        case .masked: "bert.encoder.layer.\(i).*"
        case .causal: "transformer.h.\(i).*"
        case .llama: "model.layers.\(i).*"
        }
    }

    public var embeddingPatterns: [String] {
        switch self {
        case .masked: ["bert.embeddings.*"]
        case .causal: ["transformer.wte.*", "transformer.wpe.*"]
        case .llama: ["model.embed_tokens.*"]
        }
    }

    /// Parameters after the last layer that train with it (GPT's final LayerNorm).
    public var finalPatterns: [String] {
        switch self {
        case .masked: []
        case .causal: ["transformer.ln_f.*"]
        case .llama: ["model.norm.*", "lm_head.*"]
        }
    }

    /// Loads `config.json` + `model.safetensors` from an HF folder (`model_type` bert, gpt2 or llama), or the
    /// Llama in a folder's one `*.gguf` file when it has no `config.json` (see ``GGUFFolder``).
    public static func load(directory: String) throws -> LanguageModel {
        let url = URL(fileURLWithPath: directory)
        let configPath = directory + "/config.json"
        do {
            if let gguf = try GGUFFolder.modelFile(in: directory) {
                return .llama(try LlamaModel(gguf: try GGUFFile(path: gguf)))
            }
        } catch {
            throw TrainingError(.invalidInput, file: directory, message: "\(error)")
        }
        let read: Data?
        do { read = try ModelFile.read(configPath, maxBytes: ModelFile.configLimit) } catch let e as ModelError {
            throw TrainingError(.invalidInput, file: configPath, message: e.message)
        }
        guard let data = read else {
            throw TrainingError(
                .invalidInput, file: configPath, message: "not found", hint: "the model must be an HF model folder")
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
            case "llama":
                return .llama(try LlamaModel(directory: url))
            default:
                throw TrainingError(
                    .invalidInput, file: configPath,
                    message: "model_type '\(type)' is not supported (bert: masked LM, gpt2 or llama: causal LM)")
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError(.invalidInput, file: directory, message: "\(error)")
        }
    }

    /// The batch's mean loss over its targets, and the number of targets.
    public func loss(_ b: LMBatch, context: ForwardContext) -> (loss: Tensor, count: Int) {
        let (logits, _, targets) = targetLogits(b, context: context)
        return (crossEntropy(logits: logits, targets: targets), targets.count)
    }

    /// The summed negative log-likelihood (nats) and the number of targets of each row of the batch, from one
    /// forward pass without dropout; rows without a target give (0, 0). Call it without gradient recording.
    public func rowLosses(_ b: LMBatch) -> [RowLoss] {
        let (logits, at, targets) = targetLogits(b, context: .inference)  // logits [M, V]
        var out = [RowLoss](repeating: RowLoss(nll: 0, tokens: 0), count: b.batch)
        // `at` ascends, so each row's targets are one contiguous run of logit rows.
        var i = 0
        while i < at.count {
            let row = at[i] / b.time
            var j = i
            while j < at.count, at[j] / b.time == row { j += 1 }
            let mean = crossEntropy(logits: logits.gatheringRows(Array(i..<j)), targets: Array(targets[i..<j])).item
            out[row] = RowLoss(nll: Double(mean) * Double(j - i), tokens: j - i)
            i = j
        }
        return out
    }

    /// The logits at the positions that have a target (`[M, V]`), those positions (`b·T + t`, ascending) and their
    /// targets. Logits are computed only there (row gather before the vocabulary projection).
    func targetLogits(_ b: LMBatch, context: ForwardContext) -> (logits: Tensor, at: [Int], targets: [Int32]) {
        let at = b.targets.indices.filter { b.targets[$0] != -100 }
        let targets = at.map { b.targets[$0] }
        switch self {
        case .masked(let m, _):
            let input = EncoderInput(batch: b.batch, time: b.time, inputIds: b.ids, attentionMask: b.mask)
            let c = m.bert.config.hiddenSize
            let hidden = m.bert(input, context: context).reshaped([b.batch * b.time, c])  // [B·T, C]
            let logits = m.head(hidden.gatheringRows(at), wordEmbeddings: m.bert.wordEmbeddings.weight)  // [M, V]
            return (logits, at, targets)
        case .causal(let m):
            let hidden = m.hidden(b.ids, batch: b.batch, time: b.time, attentionMask: b.mask, context: context)
            let rows = hidden.reshaped([b.batch * b.time, m.config.nEmbd]).gatheringRows(at)  // [M, C]
            let logits = linear(rows, weight: m.tokenEmbeddings.weight)  // [M, V]
            return (logits, at, targets)
        case .llama(let m):
            // No key mask: rows are right-padded and attention is causal, so no real position sees padding.
            let hidden = m.hidden(b.ids, batch: b.batch, time: b.time)  // [B, T, C]
            let rows = hidden.reshaped([b.batch * b.time, m.config.hiddenSize]).gatheringRows(at)  // [M, C]
            return (m.head(rows), at, targets)  // [M, V]
        }
    }

    /// Writes the model in HF layout: `config.json` (the base's, with the LM architecture) and
    /// `model.safetensors` under HF's names (`bert.…` + `cls.predictions.…`, or `transformer.…`). A Llama writes
    /// its own `config.json` (`LlamaForCausalLM`; a GGUF base has none to copy), `baseConfig` unused.
    public func export(to directory: String, baseConfig: String) throws {
        if case .llama(let m) = self {
            try m.save(to: URL(fileURLWithPath: directory))
            return
        }
        var config = try MultitaskArtifact.jsonObject(baseConfig)
        switch self {
        case .masked: config["architectures"] = ["BertForMaskedLM"]
        case .causal: config["architectures"] = ["GPT2LMHeadModel"]
        case .llama: break
        }
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: directory + "/config.json"))
        try module.save(to: directory + "/model.safetensors", metadata: ["format": "pt"])
    }
}
