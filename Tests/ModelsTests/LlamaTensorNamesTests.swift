import Tensor
import Testing

@testable import Models

@Suite struct LlamaTensorNamesTests {
    @Test(arguments: [
        ("token_embd.weight", "model.embed_tokens.weight"), ("output_norm.weight", "model.norm.weight"),
        ("output.weight", "lm_head.weight"), ("blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"),
        ("blk.29.ffn_norm.weight", "model.layers.29.post_attention_layernorm.weight"),
        ("blk.3.attn_q.weight", "model.layers.3.self_attn.q_proj.weight"),
        ("blk.3.attn_k.bias", "model.layers.3.self_attn.k_proj.bias"),
        ("blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"),
        ("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
        ("blk.12.ffn_gate.weight", "model.layers.12.mlp.gate_proj.weight"),
        ("blk.12.ffn_up.weight", "model.layers.12.mlp.up_proj.weight"),
        ("blk.12.ffn_down.weight", "model.layers.12.mlp.down_proj.weight"),
    ])
    func mapsLlamaCppNames(_ pair: (String, String)) {
        #expect(LlamaTensorNames.hfName(pair.0) == pair.1)
    }

    @Test(arguments: [
        "rope_freqs.weight", "blk.x.attn_q.weight", "blk.-1.attn_q.weight", "blk.01.attn_q.weight",
        "blk.0.attn_q", "blk.0.unknown.weight", "token_embd.scale", "",
    ])
    func leavesOtherNamesUnmapped(_ name: String) {
        #expect(LlamaTensorNames.hfName(name) == nil)
    }

    /// Against llama.cpp's forward permutation written out independently (convert_hf_to_gguf's `permute`:
    /// reshape(heads, 2, half, C).swapaxes(1, 2)): un-permuting its output gives back the HF matrix.
    @Test func undoesLlamaCppsPermutation() throws {
        let heads = 3, headDim = 8, columns = 5, half = headDim / 2
        let hf = Tensor((0..<(heads * headDim * columns)).map { Float($0) }, shape: [heads * headDim, columns])
        let gguf = Tensor(zeros: hf.shape)
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half {
                    // HF row (h, j, i) lands at GGUF row (h, i, j).
                    let from = (h * headDim + j * half + i) * columns, to = (h * headDim + i * 2 + j) * columns
                    for c in 0..<columns { gguf.pointer[to + c] = hf.pointer[from + c] }
                }
            }
        }
        #expect(gguf.scalars != hf.scalars)
        #expect(try LlamaTensorNames.unpermuteRotaryRows(gguf, heads: heads).scalars == hf.scalars)
        #expect(throws: ModelError.self) { try LlamaTensorNames.unpermuteRotaryRows(gguf, heads: 5) }
    }
}
