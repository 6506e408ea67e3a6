import Foundation
import Models
import NN
import Tensor

/// The two kinds of trunk a ``MultitaskModel`` shares between its tasks; the kind decides which poolings fit.
public enum TrunkKind: String, Sendable, Codable {
    /// Bidirectional (BERT): every position has seen the whole input.
    case encoder
    /// Causal (Llama): only the last real position has seen the whole input.
    case decoder

    /// The poolings that give a sequence vector for this kind: `cls`/`mean` for an encoder; the last real token
    /// for a decoder (its first position sees one token, and a mean is dominated by positions that saw little).
    public var poolings: [Pooling] { self == .encoder ? [.cls, .mean] : [.lastToken] }
}

/// The shared network of a multitask model: token ids in, hidden states `[B, T, C]` out. Heads, experts, samplers,
/// loss weighting and PEFT are written once against it; ``BertModel`` and ``LlamaModel`` conform.
///
/// The trunk's parameters carry its HF names without a prefix, so LoRA weights export under PEFT's
/// `base_model.model.` for both (`encoder.layer.N.…` for `BertModel`, `model.layers.N.…` for `LlamaForCausalLM`).
public protocol MultitaskTrunk: Module {
    var trunkKind: TrunkKind { get }
    /// C, the width of the hidden states.
    var hiddenSize: Int { get }
    var vocabularySize: Int { get }
    /// The longest input (`max_position_embeddings`).
    var maxPositions: Int { get }
    /// The HF `model_type` (`bert`, `llama`).
    var modelType: String { get }
    /// Name patterns of the token-embedding parameters (`train.freeze_embeddings`).
    var embeddingPatterns: [String] { get }
    /// The projections LoRA targets by default: all of them, as PEFT module names.
    var projectionNames: [String] { get }
    /// Token ids → last hidden state `[B, T, C]`. A decoder ignores `tokenTypeIds` (a pair's two segments are
    /// read as one concatenated sequence) and needs no mask: rows are right-padded and attention is causal.
    func hiddenStates(_ input: EncoderInput, context: ForwardContext) -> Tensor
    /// Writes the trunk in HF layout into `directory`: `config.json` (`baseConfig`'s keys where the trunk keeps
    /// the base's, with the trunk's architecture) and `model.safetensors` from `weights` (HF names, `format: pt`).
    func writeHF(weights: [(name: String, tensor: Tensor)], baseConfig: String, directory: String) throws
}

extension BertModel: MultitaskTrunk {
    public var trunkKind: TrunkKind { .encoder }
    public var hiddenSize: Int { config.hiddenSize }
    public var vocabularySize: Int { config.vocabSize }
    public var maxPositions: Int { config.maxPositionEmbeddings }
    public var modelType: String { "bert" }
    public var embeddingPatterns: [String] { ["embeddings.*"] }
    public var projectionNames: [String] {
        ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]
    }

    /// A trunk with one token type (`type_vocab_size: 1`, RoBERTa-style) gets no segment ids, so a pair's second
    /// text is type 0 as well — what HF's tokenizers give such models for pairs (RoBERTa's
    /// `create_token_type_ids_from_sequences` returns zeros); type 1 would index past its embedding.
    public func hiddenStates(_ input: EncoderInput, context: ForwardContext) -> Tensor {
        guard config.typeVocabSize < 2, input.tokenTypeIds != nil else { return self(input, context: context) }
        var single = input
        single.tokenTypeIds = nil
        return self(single, context: context)
    }

    public func writeHF(weights: [(name: String, tensor: Tensor)], baseConfig: String, directory: String) throws {
        var config = try MultitaskArtifact.jsonObject(baseConfig)
        config["architectures"] = ["BertModel"]
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: directory + "/config.json"))
        try SafeTensorsFile.write(weights, metadata: ["format": "pt"], to: directory + "/model.safetensors")
    }
}

extension LlamaModel: MultitaskTrunk {
    public var trunkKind: TrunkKind { .decoder }
    public var hiddenSize: Int { config.hiddenSize }
    public var vocabularySize: Int { config.vocabSize }
    public var maxPositions: Int { config.maxPositionEmbeddings }
    public var modelType: String { "llama" }
    public var embeddingPatterns: [String] { ["model.embed_tokens.*"] }
    public var projectionNames: [String] { ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] }

    public func hiddenStates(_ input: EncoderInput, context: ForwardContext) -> Tensor {
        hidden(input.inputIds, batch: input.batch, time: input.time)
    }

    /// `config.json` is the model's own (`LlamaForCausalLM`; a GGUF base has none to copy), `baseConfig` unused.
    public func writeHF(weights: [(name: String, tensor: Tensor)], baseConfig: String, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: URL(fileURLWithPath: directory + "/config.json"), options: .atomic)
        try SafeTensorsFile.write(weights, metadata: ["format": "pt"], to: directory + "/model.safetensors")
    }
}

/// Finding and loading a trunk from a model folder.
public enum MultitaskTrunkLoader {
    /// The trunk in `directory`: an HF folder (`config.json` with `model_type` bert or llama, `model.safetensors`)
    /// or a folder holding one GGUF file and no `config.json` (a Llama; see ``GGUFFolder``). Throws a
    /// ``TrainingError`` naming the file on anything else.
    public static func load(directory: String) throws -> any MultitaskTrunk {
        let configPath = directory + "/config.json"
        do {
            if let gguf = try GGUFFolder.modelFile(in: directory) {
                return try LlamaModel(gguf: try GGUFFile(path: gguf))
            }
            switch try modelType(configPath: configPath) {
            case "bert": return try BertModel(directory: URL(fileURLWithPath: directory), pooler: false)
            case "llama": return try LlamaModel(directory: URL(fileURLWithPath: directory))
            case let other:
                throw TrainingError(
                    .invalidInput, file: configPath,
                    message: "model_type '\(other)': a multitask trunk is a BERT encoder (bert) or a Llama decoder (llama)")
            }
        } catch let e as TrainingError {
            throw e
        } catch let e as ModelError {
            throw TrainingError(.invalidInput, file: e.path ?? directory, message: e.message)
        } catch {
            throw TrainingError(.invalidInput, file: directory, message: "\(error)")  // GGUFError: names its file
        }
    }

    /// `model_type` of an HF `config.json` (a capped read of a regular file: `ModelFile`).
    static func modelType(configPath: String) throws -> String {
        let read: Data?
        do { read = try ModelFile.read(configPath, maxBytes: ModelFile.configLimit) } catch let e as ModelError {
            throw TrainingError(.invalidInput, file: configPath, message: e.message)
        }
        guard let data = read else {
            throw TrainingError(
                .invalidInput, file: configPath, message: "not found",
                hint: "the model must be an HF model folder (config.json, model.safetensors) or hold one .gguf file")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TrainingError(.invalidInput, file: configPath, message: "not a JSON object")
        }
        return json["model_type"] as? String ?? "?"
    }
}
