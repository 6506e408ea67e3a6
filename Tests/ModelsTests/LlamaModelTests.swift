import Foundation
import NN
import Tensor
import Testing

@testable import Models

@Suite struct LlamaModelTests {
    /// The real SmolLM2-135M-Instruct from its GGUF (dequantized to float32) against transformers loading the same
    /// file (`gguf_file=`, float32) on 5 prompts: every 16th vocabulary logit at every position, and all logits of
    /// the last position, within 1e-3 relative (of the largest |logit| of the prompt).
    @Test func logitsMatchTransformers() throws {
        guard let path = smolLM2Path() else { return }
        let model = try LlamaModel(gguf: try GGUFFile(path: path))
        #expect(model.layers.count == 30 && model.lmHead == nil)
        let ref = try SafeTensorsFile(path: try ggufFixture("smollm2-logits.safetensors").path)
        #expect(ref.metadata["generated_by"]?.contains("generate.sh") == true)
        var worst: Float = 0
        for p in 0..<5 {
            let ids = try ref.integers("p\(p).ids").values
            let logits = GradMode.withoutGrad { model(ids, batch: 1, time: ids.count) }  // [1, T, V]
            let v = model.config.vocabSize
            let sampled = Tensor(zeros: [ids.count, v / 16])
            for t in 0..<ids.count {
                for j in 0..<(v / 16) { sampled.pointer[t * (v / 16) + j] = logits.pointer[t * v + 16 * j] }
            }
            let last = Tensor(Array(logits.scalars[((ids.count - 1) * v)..<(ids.count * v)]), shape: [v])
            for (ours, theirs, what) in [
                (sampled, try ref.tensor("p\(p).logits_every16"), "every 16th"), (last, try ref.tensor("p\(p).last"), "last"),
            ] {
                let c = closeness(ours, theirs, rtol: 0, atol: 1e-3)
                let scale = theirs.scalars.reduce(0) { max($0, abs($1)) }
                worst = max(worst, (c.excess + 1e-3 * scale) / scale)
                #expect(c.excess <= 0, "prompt \(p) \(what): element \(c.index) is \(c.a), transformers \(c.b)")
            }
            // The same next token as transformers.
            let argmax = { (t: Tensor) -> Int in
                let s = t.scalars
                return s.indices.max { s[$0] < s[$1] } ?? -1
            }
            #expect(argmax(last) == argmax(try ref.tensor("p\(p).last")), "prompt \(p)")
        }
        print("SmolLM2 logits vs transformers: largest |difference| / max|logit| = \(worst)")
    }

    /// A tiny random Llama (2 layers, 4 query heads sharing 2 key/value heads): gradients of the logits with
    /// respect to every kind of parameter match finite differences.
    @Test func gradientsMatchFiniteDifferences() {
        var config = LlamaConfig()
        config.vocabSize = 13
        config.hiddenSize = 8
        config.intermediateSize = 12
        config.numHiddenLayers = 2
        config.numAttentionHeads = 4
        config.numKeyValueHeads = 2
        config.rmsNormEps = 1e-5
        config.ropeTheta = 100
        for tied in [true, false] {
            config.tieWordEmbeddings = tied
            let model = LlamaModel(config: config, seed: 3)
            for (_, p) in model.namedParameters {
                let r = GradientCheck.randomTensor(p.shape, seed: UInt64(p.count), scale: 0.5)
                p.pointer.update(from: r.pointer, count: p.count)
            }
            let ids: [Int32] = [1, 5, 2, 12, 7, 0]
            let b = model.layers[1]
            var inputs = [model.tokenEmbeddings.weight, b.inputNorm.weight, b.query.weight, b.key.weight, b.value.weight,
                b.output.weight, b.gate.weight, b.up.weight, b.down.weight, model.norm.weight]
            if let head = model.lmHead { inputs.append(head.weight) }
            let failures = GradientCheck.run(inputs, h: 1e-2, atol: 3e-3, rtol: 2e-2, maxElementsPerInput: 40) {
                model(ids, batch: 2, time: 3)
            }
            #expect(failures.isEmpty, "tied \(tied): \(failures.prefix(5))")
        }
    }
}
