import Foundation
import NN
import Tensor

/// A Llama decoder (HF `LlamaForCausalLM` names): token embeddings, pre-norm blocks of grouped-query causal
/// attention with rotary positions and a SwiGLU MLP, a final RMSNorm, and an LM head (tied to the embeddings when
/// the config says so). No biases, no dropout (Llama has none).
public final class LlamaModel: Module {
    public let config: LlamaConfig
    public let tokenEmbeddings: Embedding  // embed_tokens [V, C]
    public let layers: [LlamaBlock]
    public let norm: RMSNorm
    /// nil when tied: logits use `tokenEmbeddings.weight`.
    public let lmHead: Linear?

    /// A model with random weights (N(0, 0.02), norms 1) from `seed`.
    public convenience init(config: LlamaConfig, seed: UInt64 = 0) {
        self.init(config: config, initializer: Initializer(seed: seed))
    }

    /// A model whose weights `initializer` draws; the loaders pass ``Initializer/unfilled`` (zeros) since the
    /// file's weights overwrite them at once.
    public init(config: LlamaConfig, initializer: Initializer) {
        self.config = config
        var ini = initializer
        tokenEmbeddings = Embedding(count: config.vocabSize, dimensions: config.hiddenSize, initializer: &ini)
        layers = (0..<config.numHiddenLayers).map { _ in LlamaBlock(config: config, initializer: &ini) }
        norm = RMSNorm(dimensions: config.hiddenSize, eps: config.rmsNormEps)
        lmHead =
            config.tieWordEmbeddings
            ? nil
            : Linear(
                inputDimensions: config.hiddenSize, outputDimensions: config.vocabSize, bias: false, initializer: &ini)
    }

    /// The model a GGUF file holds, its weights dequantized to float32 (see ``GGUFFile/llamaWeights(config:)``).
    public convenience init(gguf file: GGUFFile) throws {
        let config = try LlamaConfig(gguf: file)
        let weights = try file.llamaWeights(config: config)
        self.init(config: config, initializer: .unfilled)
        try load(weights)
    }

    /// Loads `config.json` and `model.safetensors` from an HF `LlamaForCausalLM` folder.
    public convenience init(directory: URL) throws {
        let config = try LlamaConfig(contentsOf: directory.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        // The file must hold every parameter at its shape before a model of the config's size is allocated.
        guard config.numHiddenLayers <= file.entries.count else {
            throw ModelError(
                .invalidConfig, "\(config.numHiddenLayers) layers but only \(file.entries.count) tensors",
                path: directory.path)
        }
        for (name, shape) in LlamaTensorNames.expectedShapes(config).sorted(by: { $0.key < $1.key }) {
            guard let entry = file.entries[name] else {
                throw ModelError(.missingTensor, "missing '\(name)'", path: file.path)
            }
            guard entry.shape == shape else {
                throw ModelError(
                    .shapeMismatch, "'\(name)' has shape \(entry.shape), config.json implies \(shape)", path: file.path)
            }
        }
        self.init(config: config, initializer: .unfilled)
        try load(from: file)
    }

    /// Writes `config.json` and `model.safetensors` (float32, HF names; tied embeddings store no `lm_head`) into
    /// `directory`, which transformers' `LlamaForCausalLM.from_pretrained` reads.
    public func save(to directory: URL) throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw ModelError(.io, "cannot create: \(error.localizedDescription)", path: directory.path)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let configURL = directory.appendingPathComponent("config.json")
        do { try encoder.encode(config).write(to: configURL, options: .atomic) } catch {
            throw ModelError(.io, "cannot write: \(error.localizedDescription)", path: configURL.path)
        }
        try SafeTensorsFile.write(
            namedParameters, metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors").path)
    }

    /// Copies `weights` (HF names) into the parameters; every parameter must be present with its shape.
    public func load(_ weights: [String: Tensor]) throws {
        for (name, p) in namedParameters {
            guard let w = weights[name] else { throw ModelError(.missingTensor, "no weight for '\(name)'") }
            guard w.shape == p.shape else {
                throw ModelError(.shapeMismatch, "'\(name)' has shape \(w.shape), the model expects \(p.shape)")
            }
            p.pointer.update(from: w.pointer, count: p.count)
        }
    }

    public var namedChildren: [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = [("model.embed_tokens", tokenEmbeddings)]
        for (i, layer) in layers.enumerated() { out.append(("model.layers.\(i)", layer)) }
        out.append(("model.norm", norm))
        if let lmHead { out.append(("lm_head", lmHead)) }
        return out
    }

    /// Throws a located ``ModelError`` (`invalidInput`) unless `ids` is `[B, T]` of ids in the vocabulary and
    /// `cached + T` positions fit in the context (`max_position_embeddings`): what ``callAsFunction(_:batch:time:)``
    /// and the embedding would otherwise trap on. Rows and positions in the message count from 0.
    public func checkInput(_ ids: [Int32], batch nb: Int, time nt: Int, cached: Int = 0) throws {
        guard nb > 0, nt > 0, ids.count == nb * nt else {
            throw ModelError(.invalidInput, "\(ids.count) token ids do not form a [\(nb), \(nt)] batch")
        }
        guard cached + nt <= config.maxPositionEmbeddings else {
            throw ModelError(
                .invalidInput,
                "\(cached > 0 ? "\(cached) cached + " : "")\(nt) positions exceed the model's context of "
                    + "\(config.maxPositionEmbeddings) (max_position_embeddings): shorten the input")
        }
        if let k = ids.firstIndex(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw ModelError(
                .invalidInput,
                "row \(k / nt), position \(k % nt): token id \(ids[k]) is outside the vocabulary 0..<\(config.vocabSize)"
                    + " (tokenize with the model's own tokenizer)")
        }
    }

    /// ``callAsFunction(_:batch:time:)`` after ``checkInput(_:batch:time:cached:)``: the entry point for ids that
    /// come from outside (a client, a file).
    public func logits(_ ids: [Int32], batch nb: Int, time nt: Int) throws -> Tensor {
        try checkInput(ids, batch: nb, time: nt)
        return self(ids, batch: nb, time: nt)
    }

    /// ids `[B, T]` → logits `[B, T, V]` (positions 0..<T). The ids must be valid (``checkInput(_:batch:time:cached:)``).
    public func callAsFunction(_ ids: [Int32], batch nb: Int, time nt: Int) -> Tensor {
        head(hidden(ids, batch: nb, time: nt))
    }

    /// ids `[B, T]` → the final RMSNorm's output `[B, T, C]` (HF `LlamaModel`'s `last_hidden_state`).
    ///
    /// There is no padding mask: attention is causal, so a right-padded row's real positions never see its
    /// padding and their states are those of the unpadded row (read them with ``Pooling/lastToken``).
    public func hidden(_ ids: [Int32], batch nb: Int, time nt: Int) -> Tensor {
        precondition(ids.count == nb * nt, "ids must be [B, T]")
        var x = tokenEmbeddings(ids).reshaped([nb, nt, config.hiddenSize])
        for layer in layers { x = layer(x) }
        return norm(x)
    }

    /// hidden `[..., C]` → logits `[..., V]` (the LM head, or the tied embeddings).
    public func head(_ hidden: Tensor) -> Tensor {
        if let lmHead { return lmHead(hidden) }
        return linear(hidden, weight: tokenEmbeddings.weight)
    }
}

/// One Llama decoder layer (HF `LlamaDecoderLayer`).
public final class LlamaBlock: Module {
    public let inputNorm: RMSNorm  // input_layernorm
    public let query: LinearSlot  // self_attn.q_proj [NH·hs, C]
    public let key: LinearSlot  // self_attn.k_proj [NKV·hs, C]
    public let value: LinearSlot  // self_attn.v_proj [NKV·hs, C]
    public let output: LinearSlot  // self_attn.o_proj [C, NH·hs]
    public let postAttentionNorm: RMSNorm  // post_attention_layernorm
    public let gate: LinearSlot  // mlp.gate_proj [F, C]
    public let up: LinearSlot  // mlp.up_proj [F, C]
    public let down: LinearSlot  // mlp.down_proj [C, F]
    let heads: Int
    let kvHeads: Int
    let ropeTheta: Float

    init(config c: LlamaConfig, initializer ini: inout Initializer) {
        let (d, hs, f) = (c.hiddenSize, c.headDimension, c.intermediateSize)
        inputNorm = RMSNorm(dimensions: d, eps: c.rmsNormEps)
        func projection(_ inputs: Int, _ outputs: Int) -> LinearSlot {
            Linear(inputDimensions: inputs, outputDimensions: outputs, bias: false, initializer: &ini).slot
        }
        query = projection(d, c.numAttentionHeads * hs)
        key = projection(d, c.numKeyValueHeads * hs)
        value = projection(d, c.numKeyValueHeads * hs)
        output = projection(c.numAttentionHeads * hs, d)
        postAttentionNorm = RMSNorm(dimensions: d, eps: c.rmsNormEps)
        gate = projection(d, f)
        up = projection(d, f)
        down = projection(f, d)
        heads = c.numAttentionHeads
        kvHeads = c.numKeyValueHeads
        ropeTheta = c.ropeTheta
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [
            ("input_layernorm", inputNorm), ("self_attn.q_proj", query), ("self_attn.k_proj", key),
            ("self_attn.v_proj", value), ("self_attn.o_proj", output), ("post_attention_layernorm", postAttentionNorm),
            ("mlp.gate_proj", gate), ("mlp.up_proj", up), ("mlp.down_proj", down),
        ]
    }

    /// x `[B, T, C]` → `[B, T, C]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let n = inputNorm(x)
        let q = query(n).rotaryEmbedded(heads: heads, base: ropeTheta)  // [B, T, NH·hs]
        let k = key(n).rotaryEmbedded(heads: kvHeads, base: ropeTheta)  // [B, T, NKV·hs]
        let groups = heads / kvHeads
        let a = selfAttention(
            query: q, key: k.repeatingHeads(kvHeads, groups: groups),
            value: value(n).repeatingHeads(kvHeads, groups: groups), heads: heads, mask: AttentionMask(causal: true))
        let h = x + output(a)
        let m = postAttentionNorm(h)
        return h + down(gate(m).silu() * up(m))
    }
}
