import Models
import NN
import Tensor
import Testing

@testable import Training

@Suite struct ParameterGroupsTests {
    @Test func groupsSplitDecayAndRates() {
        let model = TinyBert.model()
        let rules = ParameterGroups(
            learningRate: 1e-3, weightDecay: 0.01, frozen: ["bert.embeddings.*"],
            rateRules: [("cls.*", 1e-2)])
        let groups = rules.apply(to: model)
        let byName = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["decay", "no_decay", "decay@0.01", "no_decay@0.01"])
        #expect(byName["no_decay"]!.weightDecay == 0 && byName["decay"]!.weightDecay == 0.01)
        let noDecay = byName["no_decay"]!.parameters.map(\.name)
        #expect(noDecay.contains("bert.encoder.layer.0.attention.output.LayerNorm.weight"))
        #expect(noDecay.contains("bert.encoder.layer.1.output.dense.bias"))
        #expect(byName["no_decay@0.01"]!.parameters.map(\.name).contains("cls.predictions.bias"))
        #expect(byName["decay@0.01"]!.parameters.map(\.name) == ["cls.predictions.transform.dense.weight"])
        // Frozen: the embeddings, hence also the tied decoder; nothing frozen sits in a group.
        #expect(!model.bert.wordEmbeddings.weight.requiresGrad)
        let grouped = groups.flatMap { $0.parameters.map(\.name) }
        #expect(!grouped.contains { $0.hasPrefix("bert.embeddings") })
        #expect(grouped.count == model.namedParameters.count - 5)
    }

    @Test func llamaNormsTakeNoDecay() {
        var c = LlamaConfig()
        (c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers) = (16, 8, 12, 1)
        (c.numAttentionHeads, c.numKeyValueHeads, c.maxPositionEmbeddings) = (2, 1, 8)
        let groups = ParameterGroups(learningRate: 1e-3, weightDecay: 0.01).apply(to: LlamaModel(config: c, seed: 1))
        let byName = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, Set($0.parameters.map(\.name))) })
        let noDecay = byName["no_decay"] ?? []
        #expect(noDecay.count == 3)
        #expect(noDecay.allSatisfy { $0.hasSuffix("norm.weight") })
        #expect((byName["decay"] ?? []).contains { $0.hasSuffix("q_proj.weight") })
    }

    @Test func frozenParametersAreUnchangedAfterSteps() throws {
        let model = TinyBert.model()
        let groups = ParameterGroups(learningRate: 1e-2, trainable: ["bert.encoder.layer.1.*", "cls.*"]).apply(to: model)
        let optimizer = AdamW(groups: groups)
        let before = model.namedParameters.map { ($0.name, $0.tensor.scalars) }
        for s in 0..<3 {
            model.zeroGrad()
            GradMode.withGrad {
                let ctx = ForwardContext(training: true, seed: 1, step: UInt64(s))
                TinyBert.loss(model, rows: [0, 1], context: ctx).0.backward()
            }
            optimizer.update()
        }
        for ((name, old), (_, t)) in zip(before, model.namedParameters) {
            let trains = name.hasPrefix("bert.encoder.layer.1.") || name.hasPrefix("cls.")
            if trains {
                #expect(t.scalars != old || name.hasSuffix("attention.self.key.bias"), "\(name) did not train")
            } else {
                #expect(t.scalars == old, "\(name) changed although frozen")
                #expect(t.grad == nil, "\(name) has a gradient although frozen")
            }
        }
    }
}
