import Foundation
import NN
import Tensor
import Testing

@testable import Models

/// Tiny random-weight BERT and GPT-2 against PyTorch/transformers (fixtures from scripts/golden/tensor/generate.sh):
/// outputs, loss, every parameter gradient, and the parameters after three AdamW steps.
///
/// Tolerance: |ours - torch| <= 1e-4·|torch| + 1e-5·max|torch| per tensor. A pure rtol of 1e-4 is not meaningful
/// for elements that are sums cancelling to ~0 (float32 rounding differs in summation order between OpenBLAS and
/// MKL), so the absolute part is scaled by the tensor's largest magnitude.
///
/// Gradients get an extra absolute allowance of 1e-6 × the model's largest gradient: the attention key bias has a
/// gradient that is exactly 0 in exact arithmetic (softmax cancels it), so both sides hold rounding noise (~1e-8).
/// After AdamW steps, elements whose step-0 gradient is below 1e-5 of the model's largest are not compared:
/// Adam divides by √v, so for a gradient that is ~0 in exact arithmetic (e.g. the attention key bias, which softmax
/// cancels) it turns float32 rounding noise into full ±lr steps in either direction. The optimizer arithmetic
/// itself is checked exactly on fixed gradients in TensorTests (OptimizerTests).
@Suite struct TinyModelFixtureTests {
    let rtol: Float = 1e-4
    let atol: Float = 1e-5

    func expectClose(
        _ ours: Tensor, _ file: SafeTensorsFile, _ key: String, floor: Float = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let reference = try file.tensor(key)
        #expect(
            ours.count == reference.count, "\(key): \(ours.shape) vs \(reference.shape)", sourceLocation: sourceLocation
        )
        guard ours.count == reference.count else { return }
        var c = closeness(ours, reference, rtol: rtol, atol: atol)
        c.excess -= floor
        #expect(c.excess <= 0, "\(key)[\(c.index)]: ours \(c.a), torch \(c.b)", sourceLocation: sourceLocation)
    }

    /// Compares parameters after the AdamW steps within `rtol·|p| + 5e-3·lr` (half a percent of one step), skipping
    /// elements whose reference step-0 gradient is at rounding-noise level (nonzero but < 1e-5 of the model's largest
    /// gradient).
    /// Returns (compared, skipped) element counts.
    @discardableResult
    func expectCloseAfterAdam(
        _ ours: Tensor, _ file: SafeTensorsFile, _ name: String, steps: Int, lr: Float,
        noiseFloor: Float, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (Int, Int) {
        let reference = try file.tensor("adamw\(steps)/" + name)
        let grad0 = try file.tensor("grad/" + name)
        var compared = 0
        var worst: (excess: Float, index: Int) = (-.infinity, 0)
        for i in 0..<ours.count where abs(grad0.pointer[i]) >= noiseFloor || grad0.pointer[i] == 0 {
            compared += 1
            let excess = abs(ours.pointer[i] - reference.pointer[i]) - (rtol * abs(reference.pointer[i]) + 5e-3 * lr)
            if excess > worst.excess { worst = (excess, i) }
        }
        #expect(
            compared == 0 || worst.excess <= 0,
            "adamw\(steps)/\(name)[\(worst.index)]: ours \(ours.pointer[worst.index]), torch \(reference.pointer[worst.index])",
            sourceLocation: sourceLocation)
        return (compared, ours.count - compared)
    }

    /// The largest |gradient| over all parameters of the step-0 reference.
    func maxReferenceGradient(_ file: SafeTensorsFile, _ names: [String]) throws -> Float {
        try names.map { try file.tensor("grad/" + $0).scalars.reduce(0) { max($0, abs($1)) } }.max() ?? 0
    }

    func hyperparameters(_ f: SafeTensorsFile) throws -> (lr: Float, wd: Float, steps: Int, losses: [Float]) {
        let losses = try JSONDecoder().decode([Float].self, from: Data(try #require(f.metadata["losses"]).utf8))
        return (
            Float(try #require(f.metadata["lr"]))!, Float(try #require(f.metadata["weight_decay"]))!,
            Int(try #require(f.metadata["steps"]))!, losses
        )
    }

    @Test func tinyBertMatchesPyTorch() throws {
        let f = try SafeTensorsFile(path: try fixturePath("tiny-bert", "safetensors"))
        let config = try JSONDecoder().decode(BertConfig.self, from: Data(try #require(f.metadata["config"]).utf8))
        let model = BertForMaskedLM(config: config, pooler: true)
        var ini = Initializer(seed: 0)
        let nsp = Linear(inputDimensions: config.hiddenSize, outputDimensions: 2, initializer: &ini)
        let named = model.namedParameters + scoped("cls.seq_relationship", nsp)
        // Same parameter set as HF's BertForPreTraining, by name.
        #expect(Set(named.map { "param/" + $0.name }) == Set(f.names.filter { $0.hasPrefix("param/") }))
        try model.load(from: f, prefix: "param/")
        try nsp.load(from: f, prefix: "param/cls.seq_relationship.")

        let ids = try f.integers("input/input_ids")
        let (nb, nt) = (ids.shape[0], ids.shape[1])
        let input = EncoderInput(
            batch: nb, time: nt, inputIds: ids.values, tokenTypeIds: try f.integers("input/token_type_ids").values,
            attentionMask: try f.integers("input/attention_mask").values)
        let mlmLabels = try f.integers("input/mlm_labels").values
        let nspLabels = try f.integers("input/nsp_labels").values
        let hp = try hyperparameters(f)
        let optimizer = AdamW(parameters: named.map(\.tensor), learningRate: hp.lr, weightDecay: hp.wd)
        let gmax = try maxReferenceGradient(f, named.map(\.name))

        for step in 0..<hp.steps {
            for (_, p) in named { p.zeroGrad() }
            let (logits, hidden) = model(input, context: ForwardContext(training: true, seed: 1, step: UInt64(step)))
            let nspLogits = nsp(model.bert.pooled(hidden))
            let loss =
                crossEntropy(logits: logits, targets: mlmLabels) + crossEntropy(logits: nspLogits, targets: nspLabels)
            #expect(abs(loss.item - hp.losses[step]) <= 1e-4 * abs(hp.losses[step]), "loss at step \(step)")
            if step == 0 {
                try expectClose(logits, f, "output/mlm_logits")
                try expectClose(nspLogits, f, "output/nsp_logits")
            }
            loss.backward()
            if step == 0 {
                for (name, p) in named {
                    let grad = try #require(p.grad, "no gradient for \(name)")
                    try expectClose(grad, f, "grad/" + name, floor: 1e-6 * gmax)
                }
            }
            optimizer.update()
        }
        var counts = (0, 0)
        for (name, p) in named {
            let (kept, skipped) = try expectCloseAfterAdam(
                p, f, name, steps: hp.steps, lr: hp.lr, noiseFloor: 1e-5 * gmax)
            counts = (counts.0 + kept, counts.1 + skipped)
        }
        print("tiny BERT after AdamW: \(counts.0) elements compared, \(counts.1) with ~0 gradient skipped")
        #expect(counts.1 * 4 < counts.0)
    }

    @Test func tinyGPTMatchesPyTorch() throws {
        let f = try SafeTensorsFile(path: try fixturePath("tiny-gpt", "safetensors"))
        let config = try JSONDecoder().decode(GPTConfig.self, from: Data(try #require(f.metadata["config"]).utf8))
        let model = GPTModel(config: config)
        #expect(Set(model.namedParameters.map { "param/" + $0.name }) == Set(f.names.filter { $0.hasPrefix("param/") }))
        try model.load(from: f, prefix: "param/")

        let ids = try f.integers("input/input_ids")
        let (nb, nt) = (ids.shape[0], ids.shape[1])
        let targets = GPTModel.nextTokenTargets(ids.values, batch: nb, time: nt)
        let hp = try hyperparameters(f)
        let optimizer = AdamW(parameters: model.parameters, learningRate: hp.lr, weightDecay: hp.wd)
        let gmax = try maxReferenceGradient(f, model.namedParameters.map(\.name))
        for step in 0..<hp.steps {
            model.zeroGrad()
            let logits = model(
                ids.values, batch: nb, time: nt, context: ForwardContext(training: true, step: UInt64(step)))
            let loss = crossEntropy(logits: logits, targets: targets)
            #expect(abs(loss.item - hp.losses[step]) <= 1e-4 * abs(hp.losses[step]), "loss at step \(step)")
            if step == 0 { try expectClose(logits, f, "output/logits") }
            loss.backward()
            if step == 0 {
                for (name, p) in model.namedParameters {
                    try expectClose(
                        try #require(p.grad, "no gradient for \(name)"), f, "grad/" + name, floor: 1e-6 * gmax)
                }
            }
            optimizer.update()
        }
        var counts = (0, 0)
        for (name, p) in model.namedParameters {
            let (kept, skipped) = try expectCloseAfterAdam(
                p, f, name, steps: hp.steps, lr: hp.lr, noiseFloor: 1e-5 * gmax)
            counts = (counts.0 + kept, counts.1 + skipped)
        }
        print("tiny GPT after AdamW: \(counts.0) elements compared, \(counts.1) with ~0 gradient skipped")
        #expect(counts.1 * 4 < counts.0)
    }
}
