import Tensor

/// llama.cpp's tensor names (`token_embd`, `blk.N.attn_q`, ...) and HF `LlamaForCausalLM`'s (`model.embed_tokens`,
/// `model.layers.N.self_attn.q_proj`, ...), and the row order llama.cpp gives the query and key projections.
public enum LlamaTensorNames {
    private static let global: [String: String] = [
        "token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
    ]
    private static let perBlock: [String: String] = [
        "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
    ]

    /// The HF name of a llama.cpp tensor name (`blk.3.ffn_up.weight` → `model.layers.3.mlp.up_proj.weight`), or
    /// nil for a name outside the Llama architecture (e.g. `rope_freqs.weight`).
    public static func hfName(_ gguf: String) -> String? {
        let parts = gguf.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let suffix = parts.last, suffix == "weight" || suffix == "bias" else { return nil }
        if parts.count == 2, let base = global[parts[0]] { return "\(base).\(suffix)" }
        if parts.count == 4, parts[0] == "blk", let block = Int(parts[1]), block >= 0, String(block) == parts[1],
            let module = perBlock[parts[2]]
        {
            return "model.layers.\(block).\(module).\(suffix)"
        }
        return nil
    }

    /// The HF name and shape of every parameter of a `LlamaForCausalLM` with `config`.
    public static func expectedShapes(_ c: LlamaConfig) -> [String: [Int]] {
        let kv = c.numKeyValueHeads * c.headDimension, q = c.numAttentionHeads * c.headDimension
        var expected: [String: [Int]] = [
            "model.embed_tokens.weight": [c.vocabSize, c.hiddenSize], "model.norm.weight": [c.hiddenSize],
        ]
        if !c.tieWordEmbeddings { expected["lm_head.weight"] = [c.vocabSize, c.hiddenSize] }
        for l in 0..<c.numHiddenLayers {
            let p = "model.layers.\(l)."
            expected[p + "input_layernorm.weight"] = [c.hiddenSize]
            expected[p + "post_attention_layernorm.weight"] = [c.hiddenSize]
            expected[p + "self_attn.q_proj.weight"] = [q, c.hiddenSize]
            expected[p + "self_attn.k_proj.weight"] = [kv, c.hiddenSize]
            expected[p + "self_attn.v_proj.weight"] = [kv, c.hiddenSize]
            expected[p + "self_attn.o_proj.weight"] = [c.hiddenSize, q]
            expected[p + "mlp.gate_proj.weight"] = [c.intermediateSize, c.hiddenSize]
            expected[p + "mlp.up_proj.weight"] = [c.intermediateSize, c.hiddenSize]
            expected[p + "mlp.down_proj.weight"] = [c.hiddenSize, c.intermediateSize]
        }
        return expected
    }

    /// Whether llama.cpp's converter permuted this tensor's rows (the query and key projections), and for how
    /// many heads.
    static func permutedHeads(_ gguf: String, config: LlamaConfig) -> Int? {
        if gguf.hasSuffix(".attn_q.weight") || gguf.hasSuffix(".attn_q.bias") { return config.numAttentionHeads }
        if gguf.hasSuffix(".attn_k.weight") || gguf.hasSuffix(".attn_k.bias") { return config.numKeyValueHeads }
        return nil
    }

    /// Undoes llama.cpp's rotary row permutation of a `[heads·headDim, C]` query or key projection.
    ///
    /// HF's rotary embedding pairs element i of a head with element i + headDim/2 ("rotate half"); llama.cpp's
    /// pairs 2i with 2i+1, so its converter reorders each head's rows from (half, i) to (i, half). This is
    /// transformers' `reverse_permute_weights`: GGUF row `h·headDim + 2i + j` is HF row `h·headDim + j·headDim/2 + i`.
    public static func unpermuteRotaryRows(_ w: Tensor, heads: Int) throws -> Tensor {
        let rows = w.shape[0]
        let columns = w.count / max(rows, 1)
        guard heads > 0, rows % (2 * heads) == 0 else {
            throw ModelError(.shapeMismatch, "cannot split \(rows) rows into \(heads) rotary heads")
        }
        let half = rows / heads / 2
        let out = Tensor(zeros: w.shape)
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let src = w.pointer + (h * 2 * half + 2 * i + j) * columns
                    let dst = out.pointer + (h * 2 * half + j * half + i) * columns
                    dst.update(from: src, count: columns)
                }
            }
        }
        return out
    }
}

extension GGUFFile {
    /// A tensor under its HF `LlamaForCausalLM` name, dequantized to float32, query/key rows in HF order.
    public func llamaTensor(_ ggufName: String, config: LlamaConfig) throws -> (name: String, tensor: Tensor) {
        guard let name = LlamaTensorNames.hfName(ggufName) else {
            throw GGUFError(
                .unsupported, at: try info(ggufName).entryOffset, "tensor \(ggufName) has no Llama counterpart",
                path: path)
        }
        var t = try tensor(ggufName)
        if let heads = LlamaTensorNames.permutedHeads(ggufName, config: config) {
            do { t = try LlamaTensorNames.unpermuteRotaryRows(t, heads: heads) } catch let e as ModelError {
                throw GGUFError(
                    .malformed, at: try info(ggufName).entryOffset, "tensor \(ggufName): \(e.message)", path: path)
            }
        }
        return (name, t)
    }

    /// Every Llama tensor of the file under its HF name (float32), checked against `config`'s shapes; tied
    /// embeddings add no `lm_head.weight`. Tensors outside the architecture are an error (not silently dropped).
    public func llamaWeights(config: LlamaConfig) throws -> [String: Tensor] {
        // Every expected tensor must be in the directory, so a config claiming more layers than that is refused
        // before anything is built for it.
        guard config.numHiddenLayers <= tensors.count else {
            throw GGUFError(
                .malformed, at: metadataOffsets["llama.block_count"],
                "\(config.numHiddenLayers) blocks but only \(tensors.count) tensors", path: path)
        }
        let expected = LlamaTensorNames.expectedShapes(config)
        var out: [String: Tensor] = [:]
        for t in tensors {
            guard let name = LlamaTensorNames.hfName(t.name), let shape = expected[name] else {
                throw GGUFError(
                    .unsupported, at: t.entryOffset, "tensor \(t.name) is not part of this Llama model", path: path)
            }
            guard t.shape == shape else {
                throw GGUFError(
                    .malformed, at: t.entryOffset, "tensor \(t.name) has shape \(t.shape), the config needs \(shape)",
                    path: path)
            }
            out[name] = try llamaTensor(t.name, config: config).tensor
        }
        if let missing = expected.keys.sorted().first(where: { out[$0] == nil }) {
            throw GGUFError(.missing, at: nil, "the file has no tensor for \(missing)", path: path)
        }
        return out
    }
}
