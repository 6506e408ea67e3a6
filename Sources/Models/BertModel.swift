import Foundation
import NN
import Tensor

/// A batch of token sequences for an encoder: B sequences of T tokens, flattened row-major.
public struct EncoderInput: Sendable {
    public var batch: Int
    public var time: Int
    /// `[B, T]` token ids.
    public var inputIds: [Int32]
    /// `[B, T]` segment ids; `nil` means all 0.
    public var tokenTypeIds: [Int32]?
    /// `[B, T]`, 1 for real tokens, 0 for padding; `nil` means no padding.
    public var attentionMask: [Int32]?

    public init(batch: Int, time: Int, inputIds: [Int32], tokenTypeIds: [Int32]? = nil, attentionMask: [Int32]? = nil) {
        precondition(inputIds.count == batch * time, "inputIds must hold B*T = \(batch * time) ids")
        precondition(tokenTypeIds.map { $0.count == batch * time } ?? true, "tokenTypeIds must be [B, T]")
        precondition(attentionMask.map { $0.count == batch * time } ?? true, "attentionMask must be [B, T]")
        self.batch = batch
        self.time = time
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds
        self.attentionMask = attentionMask
    }
}

/// The BERT encoder (HF `BertModel`): embeddings, L post-LN transformer layers and an optional pooler. Parameter
/// names are HF's without a prefix (`embeddings.word_embeddings.weight`, `encoder.layer.0...`, `pooler.dense...`).
public final class BertModel: Module {
    public let config: BertConfig
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let embeddingsLayerNorm: LayerNorm
    public let layers: [BertLayer]
    /// `pooler.dense`: tanh(dense(h[CLS])).
    public let pooler: LinearSlot?

    public init(config: BertConfig, pooler: Bool = true, seed: UInt64 = 0) {
        self.config = config
        var ini = Initializer(seed: seed)
        let c = config.hiddenSize
        wordEmbeddings = Embedding(count: config.vocabSize, dimensions: c, initializer: &ini)
        positionEmbeddings = Embedding(count: config.maxPositionEmbeddings, dimensions: c, initializer: &ini)
        tokenTypeEmbeddings = Embedding(count: config.typeVocabSize, dimensions: c, initializer: &ini)
        embeddingsLayerNorm = LayerNorm(dimensions: c, eps: config.layerNormEps)
        layers = (0..<config.numHiddenLayers).map { _ in BertLayer(config: config, initializer: &ini) }
        self.pooler = pooler ? Linear(inputDimensions: c, outputDimensions: c, initializer: &ini).slot : nil
    }

    /// Loads `config.json` and `model.safetensors` from an HF model folder (tensor names with or without `bert.`).
    public convenience init(directory: URL, pooler: Bool = true) throws {
        let config = try BertConfig(contentsOf: directory.appendingPathComponent("config.json"))
        self.init(config: config, pooler: pooler)
        let file = try SafeTensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        let prefix =
            file.entries["embeddings.word_embeddings.weight"] == nil
                && file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        try load(from: file, prefix: prefix)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = [
            ("embeddings.word_embeddings", wordEmbeddings), ("embeddings.position_embeddings", positionEmbeddings),
            ("embeddings.token_type_embeddings", tokenTypeEmbeddings), ("embeddings.LayerNorm", embeddingsLayerNorm),
        ]
        for (i, layer) in layers.enumerated() { out.append(("encoder.layer.\(i)", layer)) }
        if let pooler { out.append(("pooler.dense", pooler)) }
        return out
    }

    /// Token ids → last hidden state `[B, T, C]`.
    public func callAsFunction(_ input: EncoderInput, context: ForwardContext) -> Tensor {
        let (nb, nt, c) = (input.batch, input.time, config.hiddenSize)
        precondition(nt <= config.maxPositionEmbeddings, "sequence length \(nt) exceeds max_position_embeddings")
        let positions = (0..<nb * nt).map { Int32($0 % nt) }
        let types = input.tokenTypeIds ?? [Int32](repeating: 0, count: nb * nt)
        // x: [B*T, C]
        var x = wordEmbeddings(input.inputIds) + positionEmbeddings(positions) + tokenTypeEmbeddings(types)
        x = Dropout(p: config.hiddenDropoutProb)(embeddingsLayerNorm(x), context)
        var h = x.reshaped([nb, nt, c])
        let mask = AttentionMask(keyMask: input.attentionMask)
        for layer in layers { h = layer(h, mask: mask, context: context) }
        return h
    }

    /// The pooler output `[B, C]`: tanh(dense(hidden[:, 0])).
    public func pooled(_ hidden: Tensor) -> Tensor {
        guard let pooler else { preconditionFailure("this BertModel was built without a pooler") }
        return pooler(hidden.selectingToken(0)).tanh()
    }

    /// Sentence embeddings `[B, C]`: mean of the hidden states over real tokens, L2-normalised
    /// (sentence-transformers' all-MiniLM-L6-v2 pipeline).
    public func sentenceEmbeddings(_ input: EncoderInput, context: ForwardContext = .inference) -> Tensor {
        let hidden = self(input, context: context)
        let mask = input.attentionMask ?? [Int32](repeating: 1, count: input.batch * input.time)
        return hidden.meanPooled(mask: mask).l2Normalized()
    }
}

/// One post-LN encoder layer (HF `BertLayer`).
public final class BertLayer: Module {
    public let query: LinearSlot
    public let key: LinearSlot
    public let value: LinearSlot
    public let attentionOutput: LinearSlot
    public let attentionLayerNorm: LayerNorm
    public let intermediate: LinearSlot
    public let output: LinearSlot
    public let outputLayerNorm: LayerNorm
    let heads: Int
    let activation: Activation
    let hiddenDropout: Dropout
    let attentionDropout: Float

    init(config: BertConfig, initializer ini: inout Initializer) {
        let (c, f) = (config.hiddenSize, config.intermediateSize)
        query = Linear(inputDimensions: c, outputDimensions: c, initializer: &ini).slot
        key = Linear(inputDimensions: c, outputDimensions: c, initializer: &ini).slot
        value = Linear(inputDimensions: c, outputDimensions: c, initializer: &ini).slot
        attentionOutput = Linear(inputDimensions: c, outputDimensions: c, initializer: &ini).slot
        attentionLayerNorm = LayerNorm(dimensions: c, eps: config.layerNormEps)
        intermediate = Linear(inputDimensions: c, outputDimensions: f, initializer: &ini).slot
        output = Linear(inputDimensions: f, outputDimensions: c, initializer: &ini).slot
        outputLayerNorm = LayerNorm(dimensions: c, eps: config.layerNormEps)
        heads = config.numAttentionHeads
        activation = config.hiddenAct
        hiddenDropout = Dropout(p: config.hiddenDropoutProb)
        attentionDropout = config.attentionProbsDropoutProb
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [
            ("attention.self.query", query), ("attention.self.key", key), ("attention.self.value", value),
            ("attention.output.dense", attentionOutput), ("attention.output.LayerNorm", attentionLayerNorm),
            ("intermediate.dense", intermediate), ("output.dense", output), ("output.LayerNorm", outputLayerNorm),
        ]
    }

    /// x `[B, T, C]` → `[B, T, C]`.
    public func callAsFunction(_ x: Tensor, mask: AttentionMask, context: ForwardContext) -> Tensor {
        let p = context.training ? attentionDropout : 0
        let a = selfAttention(
            query: query(x), key: key(x), value: value(x), heads: heads, mask: mask, dropout: p,
            rng: p > 0 ? context.nextRNG() : nil)
        let h = attentionLayerNorm(hiddenDropout(attentionOutput(a), context) + x)
        let f = output(activation.apply(intermediate(h)))  // [B, T, 4C] inside
        return outputLayerNorm(hiddenDropout(f, context) + h)
    }
}

/// BERT's masked-LM head (HF `BertOnlyMLMHead`, names under `predictions.`): dense + activation + LayerNorm, then
/// logits against the tied word embeddings plus `predictions.bias`.
public final class BertMLMHead: Module {
    public let transform: LinearSlot
    public let layerNorm: LayerNorm
    public let bias: Tensor
    let activation: Activation

    public init(config: BertConfig, seed: UInt64 = 1) {
        var ini = Initializer(seed: seed)
        transform = Linear(inputDimensions: config.hiddenSize, outputDimensions: config.hiddenSize, initializer: &ini)
            .slot
        layerNorm = LayerNorm(dimensions: config.hiddenSize, eps: config.layerNormEps)
        bias = Tensor(zeros: [config.vocabSize], requiresGrad: true)
        bias.name = "predictions.bias"
        activation = config.hiddenAct
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("predictions.bias", bias)] }

    public var namedChildren: [(name: String, module: any Module)] {
        [("predictions.transform.dense", transform), ("predictions.transform.LayerNorm", layerNorm)]
    }

    /// hidden `[..., C]` → logits `[..., V]`, the decoder weight being `wordEmbeddings` `[V, C]`. Give it only the
    /// masked positions' rows (``Tensor/gatheringRows(_:)``) to skip the logits nobody reads.
    public func callAsFunction(_ hidden: Tensor, wordEmbeddings: Tensor) -> Tensor {
        linear(layerNorm(activation.apply(transform(hidden))), weight: wordEmbeddings, bias: bias)
    }
}

/// BERT with its masked-LM head (HF `BertForMaskedLM` names: `bert.` + encoder, `cls.` + head).
public final class BertForMaskedLM: Module {
    public let bert: BertModel
    public let head: BertMLMHead

    public init(config: BertConfig, pooler: Bool = false, seed: UInt64 = 0) {
        bert = BertModel(config: config, pooler: pooler, seed: seed)
        head = BertMLMHead(config: config, seed: seed &+ 1)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("bert", bert), ("cls", head)] }

    /// logits `[B, T, V]` and the hidden state `[B, T, C]`.
    public func callAsFunction(_ input: EncoderInput, context: ForwardContext) -> (logits: Tensor, hidden: Tensor) {
        let hidden = bert(input, context: context)
        return (head(hidden, wordEmbeddings: bert.wordEmbeddings.weight), hidden)
    }
}
