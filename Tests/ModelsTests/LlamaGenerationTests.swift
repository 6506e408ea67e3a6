import Foundation
import NN
import Tensor
import TestSupport
import Testing

@testable import Models

@Suite struct LlamaGenerationTests {
    /// With the KV cache, a prompt fed in pieces gives the logits of one full forward pass.
    @Test func cachedForwardEqualsFullForward() throws {
        let model = try LlamaModel(directory: try ggufFixture("tiny-llama"))
        let ids: [Int32] = [3, 17, 42, 8, 0, 49, 21]
        let full = GradMode.withoutGrad { model(ids, batch: 1, time: ids.count) }.reshaped([7, 50])
        let cache = LlamaKVCache(layers: 2)
        let a = try model.forward(Array(ids[0..<4]), cache: cache)
        let b = try model.forward(Array(ids[4..<6]), cache: cache)
        let c = try model.forward([ids[6]], cache: cache)
        #expect(cache.count == 7)
        let pieces = Tensor(a.scalars + b.scalars + c.scalars, shape: [7, 50])
        let close = closeness(pieces, full, rtol: 1e-5, atol: 1e-6)
        #expect(close.excess <= 0, "element \(close.index): \(close.a) vs \(close.b)")
    }

    @Test func samplingIsSeededAndTopOneIsGreedy() throws {
        let model = try LlamaModel(directory: try ggufFixture("tiny-llama"))
        let prompt: [Int32] = [3, 17, 42]
        let greedy = try model.generate(prompt, maxNewTokens: 8, stop: [])
        #expect(greedy.count == 8)
        let s1 = try model.generate(
            prompt, maxNewTokens: 8, sampling: .sample(temperature: 1, topK: nil, seed: 5), stop: [])
        let s2 = try model.generate(
            prompt, maxNewTokens: 8, sampling: .sample(temperature: 1, topK: nil, seed: 5), stop: [])
        #expect(s1 == s2)
        let seeds = try (0..<6).map {
            try model.generate(prompt, maxNewTokens: 8, sampling: .sample(temperature: 1.5, topK: nil, seed: $0), stop: [])
        }
        #expect(Set(seeds).count > 1, "different seeds should give different samples")
        #expect(
            try model.generate(prompt, maxNewTokens: 8, sampling: .sample(temperature: 1, topK: 1, seed: 9), stop: [])
                == greedy)
        // Stop tokens end the continuation (the stop token included).
        let stopped = try model.generate(prompt, maxNewTokens: 8, stop: [greedy[2]])
        #expect(stopped == Array(greedy.prefix(through: greedy.firstIndex(of: greedy[2])!)))
    }

    /// SmolLM2's greedy continuations (up to 32 tokens, stopping at EOS) equal transformers' `generate`.
    @Test func greedyGenerationMatchesTransformers() async throws {
        try await offThePool { try Self.compareGreedyGeneration() }
    }

    static func compareGreedyGeneration() throws {
        guard let model = try SmolLM2.model() else { return }
        let ref = try SafeTensorsFile(path: try ggufFixture("smollm2-logits.safetensors").path)
        for p in 0..<5 {
            let prompt = try ref.integers("p\(p).ids").values
            let expected = try ref.integers("p\(p).greedy").values
            #expect(!expected.isEmpty)
            let ours = try model.generate(prompt, maxNewTokens: 32)
            #expect(ours == expected, "prompt \(p)")
        }
    }
}
