import NN
import Tensor
import Testing

@testable import Models

/// Whole layers and models, training mode with dropout on, under a finite-difference gradient check (the dropout
/// masks are fixed by the context's seed/step, so the function is smooth in the inputs).
@Suite struct ModelGradientTests {
    static var tinyBert: BertConfig {
        var c = BertConfig()
        (c.vocabSize, c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize) = (11, 8, 1, 2, 12)
        (c.maxPositionEmbeddings, c.hiddenDropoutProb, c.attentionProbsDropoutProb) = (8, 0.1, 0.1)
        return c
    }

    static var tinyGPT: GPTConfig {
        var c = GPTConfig()
        (c.vocabSize, c.nPositions, c.nEmbd, c.nLayer, c.nHead) = (11, 8, 8, 1, 2)
        return c
    }

    /// Scales every parameter up so activations are not all near zero (0.02 init would make the check trivial), but not
    /// so far that the loss curves sharply within the finite-difference step.
    func enlarge(_ m: Module) {
        for p in m.parameters { for i in 0..<p.count { p.pointer[i] = p.pointer[i] * 6 + 0.05 * Float(i % 7 - 3) } }
    }

    @Test func bertWithHeadsPassesGradientCheck() {
        let model = BertForMaskedLM(config: Self.tinyBert, pooler: true, seed: 9)
        enlarge(model)
        let input = EncoderInput(
            batch: 2, time: 3, inputIds: [1, 5, 7, 2, 9, 0], tokenTypeIds: [0, 0, 1, 0, 1, 1],
            attentionMask: [1, 1, 1, 1, 1, 0])
        let failures = GradientCheck.run(model.parameters, h: 2e-3, atol: 3e-3, rtol: 2e-2, maxElementsPerInput: 12) {
            let (logits, hidden) = model(input, context: ForwardContext(training: true, seed: 5, step: 1))
            return crossEntropy(logits: logits, targets: [3, -100, 4, 1, 2, -100]) + model.bert.pooled(hidden).sum()
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test func gptPassesGradientCheck() {
        var config = Self.tinyGPT
        (config.residPdrop, config.embdPdrop, config.attnPdrop) = (0.1, 0.1, 0.1)
        let model = GPTModel(config: config, seed: 9)
        enlarge(model)
        let ids: [Int32] = [1, 5, 7, 2, 9, 0, 3, 3]
        let failures = GradientCheck.run(model.parameters, h: 2e-3, atol: 3e-3, rtol: 2e-2, maxElementsPerInput: 12) {
            let logits = model(ids, batch: 2, time: 4, context: ForwardContext(training: true, seed: 6, step: 2))
            return crossEntropy(logits: logits, targets: GPTModel.nextTokenTargets(ids, batch: 2, time: 4))
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test func parameterNamesFollowHuggingFace() {
        let bert = BertModel(config: Self.tinyBert)
        let names = bert.namedParameters.map(\.name)
        #expect(names.first == "embeddings.word_embeddings.weight")
        #expect(names.contains("encoder.layer.0.attention.self.query.weight"))
        #expect(names.contains("encoder.layer.0.output.LayerNorm.bias"))
        #expect(names.last == "pooler.dense.bias")
        #expect(bert.layers[0].intermediate.weight.shape == [12, 8])  // [out, in]
        let gpt = GPTModel(config: Self.tinyGPT)
        #expect(gpt.blocks[0].attention.weight.shape == [8, 24])  // Conv1D [in, out]
        #expect(gpt.namedParameters.map(\.name).contains("transformer.h.0.attn.c_attn.weight"))
    }
}
