import Foundation
import Tensor
import Testing

@testable import Models

/// The real SmolLM2-135M-Instruct Q4_1 GGUF (assets/, from scripts/fetch-assets) against gguf-py and transformers
/// (`gguf_file=`, float32), as recorded by scripts/golden/gguf/generate.sh.
@Suite struct SmolLM2GGUFTests {
    @Test func directoryAndConfig() throws {
        guard let path = smolLM2Path() else { return }
        let ref = try ggufFixtureJSON("smollm2-reference.json")
        let f = try GGUFFile(path: path)
        #expect(f.version == 3)
        #expect(f.tensors.count == ref["tensor_count"] as? Int)
        #expect(f.tensors.count == 272)
        var types: [String: Int] = [:]
        for t in f.tensors { types[t.type.name, default: 0] += 1 }
        #expect(types == ref["types"] as? [String: Int])
        #expect(types == ["Q4_1": 210, "Q8_0": 1, "F32": 61])
        #expect(try f.info("token_embd.weight").type == .q8_0)
        #expect(try f.info("token_embd.weight").shape == [49152, 576])
        #expect(f.tensors.filter { $0.name.hasSuffix("norm.weight") }.allSatisfy { $0.type == .f32 })
        #expect(!f.contains("output.weight"))
        #expect(try f.strings("tokenizer.ggml.merges").count == 48900)
        #expect(try f.strings("tokenizer.ggml.tokens").count == 49152)

        let c = try LlamaConfig(gguf: f)
        let r = try #require(ref["config"] as? [String: Any])
        #expect(c.numHiddenLayers == 30 && c.hiddenSize == 576)
        #expect(c.numHiddenLayers == r["num_hidden_layers"] as? Int)
        #expect(c.hiddenSize == r["hidden_size"] as? Int)
        #expect(c.intermediateSize == r["intermediate_size"] as? Int)
        #expect(c.numAttentionHeads == r["num_attention_heads"] as? Int)
        #expect(c.numKeyValueHeads == r["num_key_value_heads"] as? Int)
        #expect(c.vocabSize == r["vocab_size"] as? Int)
        #expect(c.maxPositionEmbeddings == r["max_position_embeddings"] as? Int)
        #expect(c.rmsNormEps == Float(try #require(r["rms_norm_eps"] as? Double)))
        #expect(c.ropeTheta == Float(try #require(r["rope_theta"] as? Double)))
        #expect(c.tieWordEmbeddings == r["tie_word_embeddings"] as? Bool)
        #expect(c.bosTokenId == r["bos_token_id"] as? Int && c.eosTokenId == r["eos_token_id"] as? Int)
        #expect(c.padTokenId == r["pad_token_id"] as? Int)
        #expect(c.headDimension == 64)
        // generate.sh loaded our HF export (gguf-inspect --export-hf) with transformers and compared logits.
        let export = try #require(ref["our_hf_export"] as? [String: Any], "fixture lacks the export check")
        #expect(export["class"] as? String == "LlamaForCausalLM")
        #expect(try #require(export["max_relative_logit_difference"] as? Double) <= 1e-6)
    }

    @Test func embeddingRowsEqualGGUFPy() throws {
        guard let path = smolLM2Path() else { return }
        let ref = try ggufFixtureJSON("smollm2-reference.json")
        let f = try GGUFFile(path: path)
        let rows = try #require(ref["embedding_rows"] as? [String: [Double]])
        #expect(rows.count == 8)
        for (id, values) in rows {
            let i = try #require(Int(id))
            let got = try f.rows("token_embd.weight", i..<(i + 1))
            #expect(got.shape == [1, 576])
            #expect(got.scalars == values.map(Float.init), "embedding row \(i)")
        }
    }

    /// Sampled rows of layers 0 and 29 under their HF names equal transformers' state dict: the names map, Q4_1
    /// dequantizes as transformers does, and the query/key rows come back in HF's rotary order.
    @Test func projectionsEqualTransformers() throws {
        guard let path = smolLM2Path() else { return }
        let ref = try ggufFixtureJSON("smollm2-reference.json")
        let f = try GGUFFile(path: path)
        let config = try LlamaConfig(gguf: f)
        let samples = try #require(ref["hf_samples"] as? [String: [String: Any]])
        let byHF = Dictionary(
            uniqueKeysWithValues: f.tensors.compactMap { t in LlamaTensorNames.hfName(t.name).map { ($0, t.name) } })
        #expect(samples.count == 19)
        for (name, sample) in samples {
            let gguf = try #require(byHF[name], "no GGUF tensor maps to \(name)")
            let (mapped, t) = try f.llamaTensor(gguf, config: config)
            #expect(mapped == name)
            if let values = sample["values"] as? [Double] {
                #expect(Array(t.scalars.prefix(values.count)) == values.map(Float.init), "\(name)")
                continue
            }
            let rows = try #require(sample["rows"] as? [Int])
            let heads = try #require(sample["head"] as? [[Double]])
            let sums = try #require(sample["sums"] as? [Double])
            let width = t.shape[1]
            for (k, row) in rows.enumerated() where row < t.shape[0] {
                let start = row * width
                #expect(Array(t.scalars[start..<(start + 8)]) == heads[k].map(Float.init), "\(name) row \(row)")
                let sum = t.scalars[start..<(start + width)].reduce(0.0) { $0 + Double($1) }
                #expect(
                    abs(sum - sums[k]) <= 1e-6 * max(1, abs(sums[k])), "\(name) row \(row) sum \(sum) vs \(sums[k])")
            }
        }
    }

    /// The un-permutation really changes q/k: read raw, llama.cpp's row order differs from HF's.
    @Test func rotaryRowsArePermutedInTheFile() throws {
        guard let path = smolLM2Path() else { return }
        let f = try GGUFFile(path: path)
        let config = try LlamaConfig(gguf: f)
        let raw = try f.tensor("blk.0.attn_k.weight")
        let hf = try f.llamaTensor("blk.0.attn_k.weight", config: config).tensor
        #expect(raw.shape == [192, 576] && hf.shape == raw.shape)
        #expect(raw.scalars != hf.scalars)
        // GGUF row 2i+j of a head is HF row j·32+i: row 1 (i=0, j=1) is HF row 32.
        #expect(Array(raw.scalars[576..<1152]) == Array(hf.scalars[(32 * 576)..<(33 * 576)]))
        let v = try f.llamaTensor("blk.0.attn_v.weight", config: config).tensor
        #expect(v.scalars == (try f.tensor("blk.0.attn_v.weight")).scalars)
    }
}

extension SmolLM2GGUFTests {
    /// Every tensor of the file has its HF name and the shape the config implies; tied embeddings, no lm_head.
    @Test func allWeightsLoad() throws {
        guard let path = smolLM2Path() else { return }
        let f = try GGUFFile(path: path)
        let weights = try f.llamaWeights(config: try LlamaConfig(gguf: f))
        #expect(weights.count == 272)
        #expect(weights["lm_head.weight"] == nil)
        #expect(weights["model.layers.29.mlp.down_proj.weight"]?.shape == [576, 1536])
        #expect(weights["model.layers.7.self_attn.k_proj.weight"]?.shape == [192, 576])
        #expect(weights["model.norm.weight"]?.buffer.allSatisfy(\.isFinite) == true)
    }
}
