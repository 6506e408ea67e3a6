import Tensor
import Testing

@testable import Models
@testable import NN

/// LoRA and bottleneck adapters applied to a tiny BERT through its slots, as the multitask stage applies them.
@Suite struct PEFTOnBertTests {
    static var config: BertConfig {
        var c = BertConfig()
        (c.vocabSize, c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize) = (19, 16, 2, 2, 32)
        c.maxPositionEmbeddings = 12
        return c
    }

    let input = EncoderInput(
        batch: 2, time: 5, inputIds: [1, 4, 7, 2, 0, 1, 9, 3, 11, 2],
        attentionMask: [1, 1, 1, 1, 0, 1, 1, 1, 1, 1])

    func loss(_ m: BertModel, _ context: ForwardContext = .inference) -> Tensor {
        let h = m(input, context: context)  // [B, T, C]
        let proj = GradientCheck.randomTensor(h.shape, seed: 77)
        return (h * proj).sum()
    }

    @Test func loraTargetsModulesAsPEFTMatchesThem() throws {
        let m = BertModel(config: Self.config, pooler: false, seed: 1)
        var ini = Initializer(seed: 2)
        let wrapped = try m.applyLoRA(
            LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["query", "value", "output.dense"]),
            initializer: &ini, context: ContextSource())
        let expected = (0..<2).flatMap { i in
            [
                "attention.self.query", "attention.self.value", "attention.output.dense", "output.dense",
            ].map { "encoder.layer.\(i).\($0)" }
        }
        #expect(Set(wrapped) == Set(expected))
        #expect(wrapped.count == 8)
        let names = Set(m.namedParameters.map(\.name))
        #expect(names.contains("encoder.layer.0.attention.self.query.lora_A.weight"))
        #expect(names.contains("encoder.layer.1.output.dense.lora_B.weight"))
        #expect(names.contains("encoder.layer.0.attention.self.query.weight"))  // base keeps its HF name
        #expect(!names.contains { $0.contains("key.lora") || $0.contains("intermediate.dense.lora") })
    }

    @Test func anUnknownTargetOrBadRankThrows() {
        let m = BertModel(config: Self.config, pooler: false, seed: 1)
        var ini = Initializer(seed: 2)
        #expect(throws: PEFTError.self) {
            try m.applyLoRA(LoRAConfiguration(targetModules: ["q_proj"]), initializer: &ini, context: ContextSource())
        }
        #expect(throws: PEFTError.self) {
            try m.applyLoRA(
                LoRAConfiguration(rank: 0, targetModules: ["query"]), initializer: &ini, context: ContextSource())
        }
        #expect(m.namedSlots.allSatisfy { $0.slot.layer is Linear })
    }

    @Test func trainingLoRALeavesTheBaseBitwiseUntouchedAndMergesExactly() throws {
        let m = BertModel(config: Self.config, pooler: false, seed: 1)
        let before = m.namedParameters.map { ($0.name, $0.tensor.scalars) }
        var ini = Initializer(seed: 2)
        let context = ContextSource()
        try m.applyLoRA(
            LoRAConfiguration(
                rank: 2, alpha: 4, dropout: 0.1,
                targetModules: [
                    "query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense",
                ]),
            initializer: &ini, context: context)
        let trainable = m.trainOnly(matching: ["*.lora_*"])
        #expect(trainable.count == 2 * 6 * 2)
        let opt = AdamW(groups: [
            .init(name: "lora", parameters: m.trainableParameters, learningRate: 0.05, weightDecay: 0.01)
        ])
        for step in 0..<3 {
            let ctx = ForwardContext(training: true, seed: 5, step: UInt64(step))
            context.current = ctx
            GradMode.withGrad { loss(m, ctx).backward() }
            opt.update()
            m.zeroGrad()
        }
        context.current = .inference
        for (name, values) in before {
            let t = m.namedParameters.first { $0.name == name }?.tensor
            #expect(t?.scalars == values, "\(name) changed")
        }
        #expect(
            m.namedParameters.contains { $0.name.hasSuffix("lora_B.weight") && $0.tensor.scalars.contains { $0 != 0 } })
        let unmerged = GradMode.withoutGrad { m(input, context: .inference).scalars }
        let merged = try m.mergeLoRA()
        #expect(merged.count == 12)
        #expect(m.namedSlots.allSatisfy { $0.slot.layer is Linear })
        #expect(Set(m.namedParameters.map(\.name)) == Set(before.map(\.0)))
        let after = GradMode.withoutGrad { m(input, context: .inference).scalars }
        let worst = zip(unmerged, after).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5)
        #expect(m.namedParameters.contains { p in p.tensor.scalars != before.first { $0.0 == p.name }?.1 })
    }

    @Test func aLoRAStepIssuesFewerGEMMFLOPsThanAFullStepAndReportsItsShare() throws {
        let full = BertModel(config: Self.config, pooler: false, seed: 1)
        let fullFlops = GradMode.withGrad { FlopCounter.count { loss(full).backward() }.flops }
        let m = BertModel(config: Self.config, pooler: false, seed: 1)
        var ini = Initializer(seed: 2)
        try m.applyLoRA(
            LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["query", "value"]), initializer: &ini,
            context: ContextSource())
        m.trainOnly(matching: ["*.lora_*"])
        let loraFlops = GradMode.withGrad { FlopCounter.count { loss(m).backward() }.flops }
        // Per layer the full step's weight-gradient GEMMs are 2·N·(4·C·C + 2·C·F) FLOPs (N = B·T rows); the LoRA
        // step skips all of them and adds its own small products.
        let (n, c, f) = (10, 16, 32)
        let weightGradients = 2 * (2 * n * (4 * c * c + 2 * c * f))
        #expect(loraFlops < fullFlops)
        #expect(fullFlops - loraFlops > weightGradients / 2)
        for p in m.namedParameters where !p.name.contains("lora_") { #expect(p.tensor.grad == nil, "\(p.name)") }
        let loraCount = 2 * 2 * (2 * c + c * 2)
        #expect(m.trainableParameterCount == loraCount)
        #expect(abs(m.trainableShare - Double(loraCount) / Double(m.parameterCount)) < 1e-12)
    }

    @Test func adaptersGoAfterBothOutputProjectionsAndStartNearTheBase() throws {
        let m = BertModel(config: Self.config, pooler: false, seed: 1)
        let base = GradMode.withoutGrad { m(input, context: .inference).scalars }
        var ini = Initializer(seed: 3)
        let wrapped = try m.addBottleneckAdapters(
            BottleneckAdapterConfiguration(name: "mt", reductionFactor: 4), initializer: &ini)
        #expect(
            wrapped == [
                "encoder.layer.0.attention.output.dense", "encoder.layer.0.output.dense",
                "encoder.layer.1.attention.output.dense", "encoder.layer.1.output.dense",
            ])
        let names = Set(m.namedParameters.map(\.name))
        #expect(names.contains("encoder.layer.0.attention.output.dense.adapters.mt.adapter_down.0.weight"))
        #expect(names.contains("encoder.layer.1.output.dense.adapters.mt.adapter_up.bias"))
        let adapted = GradMode.withoutGrad { m(input, context: .inference).scalars }
        let worst = zip(base, adapted).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-3 && worst > 0)
        // Houlsby trains the adapters and the LayerNorms.
        m.trainOnly(matching: ["*.adapters.*", "*LayerNorm*"])
        GradMode.withGrad { loss(m).backward() }
        for p in m.namedParameters {
            let trains = p.name.contains(".adapters.") || p.name.contains("LayerNorm")
            #expect((p.tensor.grad != nil) == trains, "\(p.name)")
        }
        let only = BottleneckAdapterConfiguration(afterAttention: false)
        var ini2 = Initializer(seed: 4)
        let m2 = BertModel(config: Self.config, pooler: false, seed: 1)
        #expect(
            try m2.addBottleneckAdapters(only, initializer: &ini2) == [
                "encoder.layer.0.output.dense", "encoder.layer.1.output.dense",
            ])
    }
}
