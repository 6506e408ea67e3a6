import Foundation

/// A GPT-2 style decoder configuration, with HF `GPT2Config` keys (`n_embd`, `n_layer`, ...).
public struct GPTConfig: Codable, Sendable, Equatable {
    public var vocabSize = 50257
    public var nPositions = 1024
    public var nEmbd = 768
    public var nLayer = 12
    public var nHead = 12
    /// Feed-forward width; HF's `n_inner: null` means 4 × `n_embd`.
    public var nInner: Int?
    public var activationFunction = Activation.geluNew
    public var residPdrop: Float = 0.1
    public var embdPdrop: Float = 0.1
    public var attnPdrop: Float = 0.1
    public var layerNormEpsilon: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", nPositions = "n_positions", nEmbd = "n_embd", nLayer = "n_layer"
        case nHead = "n_head", nInner = "n_inner", activationFunction = "activation_function"
        case residPdrop = "resid_pdrop", embdPdrop = "embd_pdrop", attnPdrop = "attn_pdrop"
        case layerNormEpsilon = "layer_norm_epsilon"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        vocabSize = try get(.vocabSize, vocabSize)
        nPositions = try get(.nPositions, nPositions)
        nEmbd = try get(.nEmbd, nEmbd)
        nLayer = try get(.nLayer, nLayer)
        nHead = try get(.nHead, nHead)
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        activationFunction = try get(.activationFunction, activationFunction)
        residPdrop = try get(.residPdrop, residPdrop)
        embdPdrop = try get(.embdPdrop, embdPdrop)
        attnPdrop = try get(.attnPdrop, attnPdrop)
        layerNormEpsilon = try get(.layerNormEpsilon, layerNormEpsilon)
        try validate()
    }

    public init(contentsOf url: URL) throws {
        self = try decodeConfig(GPTConfig.self, url)
    }

    public var innerSize: Int { nInner ?? 4 * nEmbd }

    public func validate() throws {
        guard [vocabSize, nPositions, nEmbd, nLayer, nHead, innerSize].allSatisfy({ $0 > 0 }) else {
            throw ModelError(.invalidConfig, "GPT config sizes must be positive: \(self)")
        }
        guard nEmbd % nHead == 0 else {
            throw ModelError(.invalidConfig, "n_embd \(nEmbd) is not divisible by n_head \(nHead)")
        }
        guard [residPdrop, embdPdrop, attnPdrop].allSatisfy({ (0..<1).contains($0) }) else {
            throw ModelError(.invalidConfig, "dropout probabilities must be in [0, 1)")
        }
    }
}
