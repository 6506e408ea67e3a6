import Foundation
import Models
import NN
import Tensor
import Testing

@testable import Training

/// The multitask model on a tiny random Llama decoder trunk: last-token heads, LoRA on the seven projections,
/// a trained step, the artifact round trip and the pooling rules.
@Suite struct MultitaskLlamaTests {
    static let projections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    static func llama(seed: UInt64 = 1) -> LlamaModel {
        var c = LlamaConfig()
        (c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers) = (29, 16, 24, 2)
        (c.numAttentionHeads, c.numKeyValueHeads, c.rmsNormEps, c.ropeTheta) = (4, 2, 1e-5, 100)
        c.maxPositionEmbeddings = 16
        let m = LlamaModel(config: c, seed: seed)
        for (k, (_, p)) in m.namedParameters.enumerated() {  // larger than the init, so every layer matters
            let r = GradientCheck.randomTensor(p.shape, seed: UInt64(k) &+ seed &* 101, scale: 0.3)
            p.pointer.update(from: r.pointer, count: p.count)
        }
        return m
    }

    static let tasks = [
        TaskSpec(name: "spam", kind: .sequenceClassification, labels: 2),
        TaskSpec(name: "topic", kind: .sequenceClassification, labels: 3),
    ]

    /// Three right-padded rows of lengths 5, 3 and 1.
    static func input(_ k: Int) -> EncoderInput {
        let lengths = [5, 3, 1]
        var ids = [Int32](repeating: 0, count: 15)
        var mask = [Int32](repeating: 0, count: 15)
        for (b, n) in lengths.enumerated() {
            for t in 0..<n {
                ids[b * 5 + t] = Int32((b * 7 + t * 5 + k * 3 + 1) % 29)
                mask[b * 5 + t] = 1
            }
        }
        return EncoderInput(batch: 3, time: 5, inputIds: ids, attentionMask: mask)
    }

    static func model(lora: Bool = true) throws -> (MultitaskModel, ContextSource) {
        let trunk = llama()
        let context = ContextSource()
        if lora {
            var ini = Initializer(seed: 9)
            try trunk.applyLoRA(
                LoRAConfiguration(rank: 2, alpha: 4, dropout: 0, targetModules: projections), initializer: &ini,
                context: context)
        }
        let m = try MultitaskModel(trunk: trunk, tasks: tasks, headDropout: 0, seed: 4)
        m.contextSource = context
        return (m, context)
    }

    @Test func theDefaultPoolingIsTheLastTokenAndOthersAreLocatedErrors() throws {
        let (m, _) = try Self.model(lora: false)
        #expect(m.pooling == .lastToken && m.trunk.trunkKind == .decoder)
        for p in [Pooling.cls, .mean] {
            let e = try #require(throws: TrainingError.self) {
                try MultitaskModel(trunk: Self.llama(), tasks: Self.tasks, pooling: p, seed: 1)
            }
            #expect(e.file == "pooling" && e.message.contains("decoder") && e.hint?.contains("last_token") == true)
        }
        let bert = try #require(throws: TrainingError.self) {
            try MultitaskModel(
                trunk: BertModel(config: TinyMultitask.config, pooler: false), tasks: Self.tasks, pooling: .lastToken,
                seed: 1)
        }
        #expect(bert.file == "pooling" && bert.message.contains("encoder"))
    }

    /// The head's logits of each padded row equal W·h + b computed by hand from the unpadded row's own forward
    /// pass, at its last real position.
    @Test func headsReadTheLastRealTokenOfEachRow() throws {
        let (m, _) = try Self.model(lora: false)
        let llama = try #require(m.trunk as? LlamaModel)
        let input = Self.input(0)
        let out = GradMode.withoutGrad { m(TaskBatch(task: 1, input: input, classes: [0, 1, 2]), context: .inference) }
        #expect(out.output.shape == [3, 3])
        let dense = m.heads[1].dense
        let (w, bias) = (dense.weight.scalars, try #require(dense.bias).scalars)  // [K, C], [K]
        for (b, n) in [5, 3, 1].enumerated() {
            let ids = Array(input.inputIds[(b * 5)..<(b * 5 + n)])
            let h = GradMode.withoutGrad { llama.hidden(ids, batch: 1, time: n) }.scalars  // [1, n, C]
            let last = Array(h[((n - 1) * 16)..<(n * 16)])
            for k in 0..<3 {
                var z = Double(bias[k])
                for c in 0..<16 { z += Double(w[k * 16 + c]) * Double(last[c]) }
                let got = Double(out.output.scalars[b * 3 + k])
                #expect(abs(got - z) <= 1e-4 * max(1, abs(z)), "row \(b) class \(k): \(got) vs \(z)")
            }
        }
    }

    /// A decoder reads a pair's segments as one sequence: segment ids change nothing.
    @Test func segmentIdsAreIgnoredByADecoderTrunk() throws {
        let (m, _) = try Self.model(lora: false)
        var pair = Self.input(1)
        pair.tokenTypeIds = (0..<15).map { Int32($0 % 5 >= 2 ? 1 : 0) }
        let (a, b) = GradMode.withoutGrad {
            (
                m(TaskBatch(task: 0, input: Self.input(1), classes: [0, 1, 0]), context: .inference).output.scalars,
                m(TaskBatch(task: 0, input: pair, classes: [0, 1, 0]), context: .inference).output.scalars
            )
        }
        #expect(a == b)
    }

    /// Steps of both tasks through MultitaskStep and AdamW lower the loss; LoRA and the heads change, the Llama's
    /// own weights stay bitwise as they were.
    @Test func aMultitaskLoRAStepTrainsAndLeavesTheBaseWeightsUntouched() throws {
        let (m, context) = try Self.model()
        let trainable = m.trainOnly(matching: ["*.lora_*", "heads.*"])
        #expect(trainable.count == 2 * 7 * 2 + 4)
        let base = m.namedParameters.filter { !$0.tensor.requiresGrad }.map { ($0.name, $0.tensor.scalars) }
        #expect(base.count == m.trunk.namedParameters.count - 28)
        let batches = [
            TaskBatch(task: 0, input: Self.input(0), classes: [1, 0, 1]),
            TaskBatch(task: 1, input: Self.input(1), classes: [2, 0, 1]),
        ]
        let step = MultitaskStep(model: m, weighting: .fixed([]), pcgrad: true, seed: 3)
        let opt = AdamW(groups: [
            .init(name: "all", parameters: m.trainableParameters, learningRate: 0.02, weightDecay: 0)
        ])
        var losses: [Double] = []
        for s in 0..<12 {
            for p in m.parameters { p.zeroGrad() }
            let r = step.run(batches, step: s)
            #expect(r.sharedGradients?.count == 2)
            losses.append(r.losses.reduce(0, +))
            opt.update()
        }
        _ = context
        #expect(losses.last! < losses.first! * 0.8, "losses \(losses)")
        let after = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.tensor.scalars) })
        for (name, before) in base { #expect(after[name] == before, "\(name) changed") }
        let loraB = m.namedParameters.filter { $0.name.hasSuffix(".lora_B.weight") }
        #expect(loraB.count == 14 && loraB.allSatisfy { $0.tensor.scalars.contains { $0 != 0 } })
    }

    /// Merged, saved (HF LlamaForCausalLM layout + multitask files) and loaded by `MultitaskArtifact.loadModel`:
    /// the same outputs; the PEFT adapter's keys are LlamaForCausalLM's.
    @Test func theArtifactReloadsWithTheSameOutputs() throws {
        let (m, _) = try Self.model()
        for (k, p) in m.namedParameters.filter({ $0.name.contains(".lora_B.") || $0.name.hasPrefix("heads.") })
            .enumerated()
        {
            let r = GradientCheck.randomTensor(p.tensor.shape, seed: UInt64(k + 40), scale: 0.3)
            p.tensor.pointer.update(from: r.pointer, count: r.count)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mt-llama-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let batches = [
            TaskBatch(task: 0, input: Self.input(2), classes: [1, 0, 1]),
            TaskBatch(task: 1, input: Self.input(3), classes: [2, 0, 1]),
        ]
        let before = GradMode.withoutGrad { batches.map { m($0, context: .inference).output.scalars } }

        try PEFTLoRAFiles.writeWeights(of: m.trunk, directory: dir + "/peft")
        let keys = try SafeTensorsFile(path: dir + "/peft/" + PEFTLoRAFiles.weightsName).names
        #expect(keys.contains("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight") && keys.count == 28)

        try m.trunk.mergeLoRA()
        try MultitaskArtifact.writeTrunk(m.trunk, baseConfig: "", directory: dir)
        try MultitaskArtifact.write(m, directory: dir)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json")))
        #expect((config as? [String: Any])?["architectures"] as? [String] == ["LlamaForCausalLM"])
        #expect(try !SafeTensorsFile(path: dir + "/model.safetensors").names.contains { $0.contains("lora") })

        let back = try MultitaskArtifact.loadModel(directory: dir)
        #expect(back.trunk is LlamaModel && back.pooling == .lastToken && back.tasks == m.tasks)
        for (b, x) in zip(batches, before) {
            let y = GradMode.withoutGrad { back(b, context: .inference).output.scalars }
            for (u, v) in zip(x, y) { #expect(abs(u - v) <= 1e-4 * max(1, abs(u)), "\(u) vs \(v)") }
        }
        // Inference (the evaluate stage's and predict's path) reads the same heads.
        let (rows, _) = try MultitaskInference.predict(back, input: Self.input(2), tasks: [0, 1])
        let logits = GradMode.withoutGrad { back(batches[0], context: .inference).output.scalars }
        for r in 0..<3 {
            #expect(rows[r][0].predicted == (logits[r * 2 + 1] > logits[r * 2] ? 1 : 0))
        }
    }

    @Test func theLoaderReadsAGGUFFolderAndRejectsOtherModelTypes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let gguf = root.appendingPathComponent("ModelsTests/Fixtures/gguf").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mt-gguf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: gguf + "/quants.gguf", toPath: dir + "/model.gguf")
        // quants.gguf holds quantized tensors but no Llama: a located error naming the file, not a trap.
        let e = try #require(throws: TrainingError.self) { try MultitaskTrunkLoader.load(directory: dir) }
        #expect(e.description.contains("model.gguf"))

        try FileManager.default.removeItem(atPath: dir + "/model.gguf")
        try #"{"model_type": "gpt2"}"#.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let gpt = try #require(throws: TrainingError.self) { try MultitaskTrunkLoader.load(directory: dir) }
        #expect(gpt.file.hasSuffix("config.json") && gpt.message.contains("gpt2"))

        let hf = try MultitaskTrunkLoader.load(directory: gguf + "/tiny-llama")
        #expect(hf.trunkKind == .decoder && hf.modelType == "llama" && hf.projectionNames.count == 7)
    }
}
