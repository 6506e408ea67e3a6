import Foundation
import NN
import Tensor

/// A GPT-2 style decoder (HF `GPT2LMHeadModel` names, `transformer.` prefix): token + learned position embeddings,
/// pre-LN causal blocks with a fused QKV projection (`Conv1D`, weights `[in, out]`), final LayerNorm, and an LM
/// head tied to the token embeddings.
public final class GPTModel: Module {
    public let config: GPTConfig
    public let tokenEmbeddings: Embedding  // wte [V, C]
    public let positionEmbeddings: Embedding  // wpe [P, C]
    public let blocks: [GPTBlock]
    public let finalLayerNorm: LayerNorm

    public init(config: GPTConfig, seed: UInt64 = 0) {
        self.config = config
        var ini = Initializer(seed: seed)
        tokenEmbeddings = Embedding(count: config.vocabSize, dimensions: config.nEmbd, initializer: &ini)
        positionEmbeddings = Embedding(count: config.nPositions, dimensions: config.nEmbd, initializer: &ini)
        blocks = (0..<config.nLayer).map { _ in GPTBlock(config: config, initializer: &ini) }
        finalLayerNorm = LayerNorm(dimensions: config.nEmbd, eps: config.layerNormEpsilon)
    }

    /// Loads `config.json` and `model.safetensors` from an HF GPT-2 folder (names with or without `transformer.`).
    public convenience init(directory: URL) throws {
        let config = try GPTConfig(contentsOf: directory.appendingPathComponent("config.json"))
        self.init(config: config)
        let file = try SafeTensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        if file.entries["transformer.wte.weight"] == nil, file.entries["wte.weight"] != nil {
            // GPT2Model checkpoints store the body without the `transformer.` prefix.
            try load(from: file) { String($0.dropFirst("transformer.".count)) }
        } else {
            try load(from: file)
        }
    }

    public var namedChildren: [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = [
            ("transformer.wte", tokenEmbeddings), ("transformer.wpe", positionEmbeddings),
        ]
        for (i, block) in blocks.enumerated() { out.append(("transformer.h.\(i)", block)) }
        return out + [("transformer.ln_f", finalLayerNorm)]
    }

    /// ids `[B, T]` → logits `[B, T, V]`.
    ///
    /// `attentionMask` `[B, T]` (1 real, 0 padding; right padding) keeps padding keys out of every query's
    /// attention, on top of the causal mask: a batch of sequences of different lengths padded to the longest.
    public func callAsFunction(
        _ ids: [Int32], batch nb: Int, time nt: Int, attentionMask: [Int32]? = nil, context: ForwardContext
    ) -> Tensor {
        hidden(ids, batch: nb, time: nt, attentionMask: attentionMask, context: context).logits(self)
    }

    /// The final hidden state `[B, T, C]` (after `ln_f`), for heads that read it or logits at chosen rows only.
    public func hidden(
        _ ids: [Int32], batch nb: Int, time nt: Int, attentionMask: [Int32]? = nil, context: ForwardContext
    ) -> Tensor {
        precondition(ids.count == nb * nt, "ids must be [B, T]")
        precondition(nt <= config.nPositions, "sequence length \(nt) exceeds n_positions \(config.nPositions)")
        precondition(attentionMask.map { $0.count == nb * nt } ?? true, "attentionMask must be [B, T]")
        let positions = (0..<nb * nt).map { Int32($0 % nt) }
        var x = Dropout(p: config.embdPdrop)(tokenEmbeddings(ids) + positionEmbeddings(positions), context)
        x = x.reshaped([nb, nt, config.nEmbd])
        let mask = AttentionMask(keyMask: attentionMask, causal: true)
        for block in blocks { x = block(x, mask: mask, context: context) }
        return finalLayerNorm(x)
    }

    /// Next-token targets of `ids` (position t predicts t+1, as HF with `labels=input_ids`): -100 (ignored) at the
    /// last position and wherever the next token is padding (`attentionMask` 0).
    public static func nextTokenTargets(
        _ ids: [Int32], batch nb: Int, time nt: Int, attentionMask: [Int32]? = nil
    ) -> [Int32] {
        var targets = [Int32](repeating: -100, count: nb * nt)
        for b in 0..<nb {
            for t in 0..<(nt - 1) where attentionMask.map({ $0[b * nt + t + 1] != 0 }) ?? true {
                targets[b * nt + t] = ids[b * nt + t + 1]
            }
        }
        return targets
    }
}

/// One pre-LN decoder block (HF `GPT2Block`).
public final class GPTBlock: Module {
    public let ln1: LayerNorm
    public let attention: LinearSlot  // c_attn [C, 3C]
    public let attentionProjection: LinearSlot  // c_proj [C, C]
    public let ln2: LayerNorm
    public let fc: LinearSlot  // c_fc [C, 4C]
    public let projection: LinearSlot  // mlp.c_proj [4C, C]
    let heads: Int
    let activation: Activation
    let residDropout: Dropout
    let attentionDropout: Float

    init(config: GPTConfig, initializer ini: inout Initializer) {
        let (c, f) = (config.nEmbd, config.innerSize)
        ln1 = LayerNorm(dimensions: c, eps: config.layerNormEpsilon)
        attention = Linear(inputDimensions: c, outputDimensions: 3 * c, layout: .inOut, initializer: &ini).slot
        attentionProjection = Linear(inputDimensions: c, outputDimensions: c, layout: .inOut, initializer: &ini).slot
        ln2 = LayerNorm(dimensions: c, eps: config.layerNormEpsilon)
        fc = Linear(inputDimensions: c, outputDimensions: f, layout: .inOut, initializer: &ini).slot
        projection = Linear(inputDimensions: f, outputDimensions: c, layout: .inOut, initializer: &ini).slot
        heads = config.nHead
        activation = config.activationFunction
        residDropout = Dropout(p: config.residPdrop)
        attentionDropout = config.attnPdrop
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [
            ("ln_1", ln1), ("attn.c_attn", attention), ("attn.c_proj", attentionProjection), ("ln_2", ln2),
            ("mlp.c_fc", fc), ("mlp.c_proj", projection),
        ]
    }

    /// x `[B, T, C]` → `[B, T, C]`; `mask` is causal, plus padding keys if any.
    public func callAsFunction(
        _ x: Tensor, mask: AttentionMask = AttentionMask(causal: true), context: ForwardContext
    ) -> Tensor {
        let p = context.training ? attentionDropout : 0
        let a = selfAttention(
            qkv: attention(ln1(x)), heads: heads, mask: mask, dropout: p,
            rng: p > 0 ? context.nextRNG() : nil)
        let h = x + residDropout(attentionProjection(a), context)
        return h + residDropout(projection(activation.apply(fc(ln2(h)))), context)
    }
}

extension Tensor {
    /// Logits `[..., V]` of a GPT hidden state `[..., C]` against the tied token embeddings.
    func logits(_ model: GPTModel) -> Tensor { linear(self, weight: model.tokenEmbeddings.weight) }
}
