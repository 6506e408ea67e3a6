import Foundation
import Tensor

/// A BERT configuration, read from and written to HF `config.json` keys (unknown keys are ignored; missing ones
/// take the HF defaults).
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize = 30522
    public var hiddenSize = 768
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var intermediateSize = 3072
    public var hiddenAct = Activation.gelu
    public var hiddenDropoutProb: Float = 0.1
    public var attentionProbsDropoutProb: Float = 0.1
    public var maxPositionEmbeddings = 512
    public var typeVocabSize = 2
    public var layerNormEps: Float = 1e-12

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        vocabSize = try get(.vocabSize, vocabSize)
        hiddenSize = try get(.hiddenSize, hiddenSize)
        numHiddenLayers = try get(.numHiddenLayers, numHiddenLayers)
        numAttentionHeads = try get(.numAttentionHeads, numAttentionHeads)
        intermediateSize = try get(.intermediateSize, intermediateSize)
        hiddenAct = try get(.hiddenAct, hiddenAct)
        hiddenDropoutProb = try get(.hiddenDropoutProb, hiddenDropoutProb)
        attentionProbsDropoutProb = try get(.attentionProbsDropoutProb, attentionProbsDropoutProb)
        maxPositionEmbeddings = try get(.maxPositionEmbeddings, maxPositionEmbeddings)
        typeVocabSize = try get(.typeVocabSize, typeVocabSize)
        layerNormEps = try get(.layerNormEps, layerNormEps)
        try validate()
    }

    /// Reads an HF `config.json`.
    public init(contentsOf url: URL) throws {
        self = try decodeConfig(BertConfig.self, url)
    }

    /// Throws when sizes are inconsistent (e.g. heads not dividing the hidden size).
    public func validate() throws {
        let sizes = [
            vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
            maxPositionEmbeddings, typeVocabSize,
        ]
        guard sizes.allSatisfy({ $0 > 0 }) else {
            throw ModelError(.invalidConfig, "BERT config sizes must be positive: \(self)")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ModelError(
                .invalidConfig,
                "hidden_size \(hiddenSize) is not divisible by num_attention_heads "
                    + "\(numAttentionHeads)")
        }
        guard (0..<1).contains(hiddenDropoutProb), (0..<1).contains(attentionProbsDropoutProb) else {
            throw ModelError(.invalidConfig, "dropout probabilities must be in [0, 1)")
        }
    }
}
