import Foundation

/// A Llama-family decoder configuration, with HF `LlamaConfig` keys (`hidden_size`, `num_key_value_heads`, ...),
/// readable from a `config.json` or from a GGUF file's `llama.*` metadata.
public struct LlamaConfig: Codable, Sendable, Equatable {
    public var vocabSize = 32000
    public var hiddenSize = 4096
    public var intermediateSize = 11008
    public var numHiddenLayers = 32
    public var numAttentionHeads = 32
    /// Grouped-query attention: each key/value head serves `numAttentionHeads / numKeyValueHeads` query heads.
    public var numKeyValueHeads = 32
    public var headDim: Int?
    public var maxPositionEmbeddings = 2048
    public var rmsNormEps: Float = 1e-6
    public var ropeTheta: Float = 10000
    public var tieWordEmbeddings = false
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var padTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
        case tieWordEmbeddings = "tie_word_embeddings", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
        // Read to refuse what LlamaModel does not implement, and written for transformers.
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling", attentionBias = "attention_bias"
        case mlpBias = "mlp_bias", hiddenAct = "hidden_act", modelType = "model_type", architectures
    }

    struct RopeParameters: Codable {
        var ropeTheta: Float?
        var ropeType: String?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type" }
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        vocabSize = try get(.vocabSize, vocabSize)
        hiddenSize = try get(.hiddenSize, hiddenSize)
        intermediateSize = try get(.intermediateSize, intermediateSize)
        numHiddenLayers = try get(.numHiddenLayers, numHiddenLayers)
        numAttentionHeads = try get(.numAttentionHeads, numAttentionHeads)
        // HF: a config without num_key_value_heads is multi-head attention.
        numKeyValueHeads = try get(.numKeyValueHeads, numAttentionHeads)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        maxPositionEmbeddings = try get(.maxPositionEmbeddings, maxPositionEmbeddings)
        rmsNormEps = try get(.rmsNormEps, rmsNormEps)
        ropeTheta = try get(.ropeTheta, ropeTheta)
        // transformers 5 writes rope_theta inside rope_parameters.
        if let rope = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters) {
            if let t = rope.ropeType, t != "default" {
                throw ModelError(.invalidConfig, "rope_parameters.rope_type '\(t)' is not supported (only 'default')")
            }
            ropeTheta = rope.ropeTheta ?? ropeTheta
        }
        if c.contains(.ropeScaling), try !c.decodeNil(forKey: .ropeScaling) {
            throw ModelError(.invalidConfig, "rope_scaling is not supported")
        }
        if try get(.attentionBias, false) || get(.mlpBias, false) {
            throw ModelError(.invalidConfig, "attention_bias / mlp_bias are not supported")
        }
        let act = try get(.hiddenAct, "silu")
        guard act == "silu" else {
            throw ModelError(.invalidConfig, "hidden_act '\(act)' is not supported (only silu)")
        }
        let type = try get(.modelType, "llama")
        guard type == "llama" else { throw ModelError(.invalidConfig, "model_type '\(type)' is not llama") }
        tieWordEmbeddings = try get(.tieWordEmbeddings, tieWordEmbeddings)
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        try validate()
    }

    public init(contentsOf url: URL) throws {
        self = try decodeConfig(LlamaConfig.self, url)
    }

    /// Writes the HF `config.json` keys (with `model_type`, `architectures`, and `rope_theta` both at the top level
    /// and in `rope_parameters`, so older and newer transformers read it).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(["LlamaForCausalLM"], forKey: .architectures)
        try c.encode("llama", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDimension, forKey: .headDim)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(RopeParameters(ropeTheta: ropeTheta, ropeType: "default"), forKey: .ropeParameters)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode("silu", forKey: .hiddenAct)
        try c.encode(false, forKey: .attentionBias)
        try c.encode(false, forKey: .mlpBias)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
    }

    /// The configuration a GGUF file of architecture `llama` states (the keys transformers' GGUF loader reads):
    /// `llama.block_count`, `.embedding_length`, `.feed_forward_length`, `.attention.head_count(_kv)`,
    /// `.attention.layer_norm_rms_epsilon`, `.rope.freq_base`, `.context_length`, `.vocab_size` (or the token
    /// count), `.rope.dimension_count`; embeddings are tied when the file has no `output.weight`.
    public init(gguf file: GGUFFile) throws {
        let arch = try file.string("general.architecture")
        guard arch == "llama" else {
            throw file.error(.unsupported, key: "general.architecture", "architecture '\(arch)' is not llama")
        }
        func int(_ key: String, _ fallback: Int? = nil) throws -> Int {
            if let fallback, file.metadata["llama." + key] == nil { return fallback }
            return try file.integer("llama." + key)
        }
        numHiddenLayers = try int("block_count")
        hiddenSize = try int("embedding_length")
        intermediateSize = try int("feed_forward_length")
        numAttentionHeads = try int("attention.head_count")
        numKeyValueHeads = try int("attention.head_count_kv", numAttentionHeads)
        maxPositionEmbeddings = try int("context_length", maxPositionEmbeddings)
        rmsNormEps = Float(try file.float("llama.attention.layer_norm_rms_epsilon"))
        ropeTheta = file.metadata["llama.rope.freq_base"] == nil ? 10000 : Float(try file.float("llama.rope.freq_base"))
        let tokens = (file.metadata["tokenizer.ggml.tokens"]?.array?.count).map { $0 }
        vocabSize = try int("vocab_size", tokens ?? -1)
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw file.error(
                .malformed, key: "llama.attention.head_count",
                "embedding_length \(hiddenSize) is not divisible by head_count \(numAttentionHeads)")
        }
        let perHead = hiddenSize / numAttentionHeads
        if let keyLength = file.metadata["llama.attention.key_length"]?.int, keyLength != perHead {
            headDim = keyLength
        }
        let rotary = try int("rope.dimension_count", headDim ?? perHead)
        guard rotary == (headDim ?? perHead) else {
            throw file.error(
                .unsupported, key: "llama.rope.dimension_count",
                "partial rotary embeddings (\(rotary) of \(headDim ?? perHead) head dimensions) are not supported")
        }
        tieWordEmbeddings = !file.contains("output.weight")
        bosTokenId = file.metadata["tokenizer.ggml.bos_token_id"]?.int
        eosTokenId = file.metadata["tokenizer.ggml.eos_token_id"]?.int
        padTokenId = file.metadata["tokenizer.ggml.padding_token_id"]?.int
        do { try validate() } catch let e as ModelError {
            throw GGUFError(.malformed, at: nil, "llama metadata: \(e.message)", path: file.path)
        }
    }

    /// Width of one attention head.
    public var headDimension: Int { headDim ?? hiddenSize / max(numAttentionHeads, 1) }

    public func validate() throws {
        let sizes = [vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads]
        guard sizes.allSatisfy({ $0 > 0 }), headDimension > 0, maxPositionEmbeddings > 0 else {
            throw ModelError(.invalidConfig, "Llama config sizes must be positive: \(self)")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw ModelError(
                .invalidConfig,
                "num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(numKeyValueHeads)")
        }
        guard headDimension % 2 == 0 else {
            throw ModelError(.invalidConfig, "head dimension \(headDimension) must be even for rotary embeddings")
        }
        guard rmsNormEps > 0, rmsNormEps.isFinite, ropeTheta > 0, ropeTheta.isFinite else {
            throw ModelError(.invalidConfig, "rms_norm_eps and rope_theta must be positive and finite")
        }
    }
}
