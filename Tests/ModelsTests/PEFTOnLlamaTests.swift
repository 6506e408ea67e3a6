import Foundation
import Tensor
import Testing

@testable import Models
@testable import NN

/// LoRA on a Llama's seven projections through its slots, and PEFT's `LlamaForCausalLM` adapter files (fixture
/// from scripts/golden/peft/generate.sh: PEFT's own save_pretrained and logits).
@Suite struct PEFTOnLlamaTests {
    static let targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    static var tinyConfig: LlamaConfig {
        var c = LlamaConfig()
        (c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers) = (23, 16, 24, 2)
        (c.numAttentionHeads, c.numKeyValueHeads, c.rmsNormEps, c.ropeTheta) = (4, 2, 1e-5, 100)
        c.maxPositionEmbeddings = 16
        return c
    }

    func fixture() throws -> String {
        let root = try #require(Bundle.module.resourceURL, "no resource bundle")
        return root.appendingPathComponent("Fixtures/peft-lora-llama").path
    }

    func logits(_ model: LlamaModel, _ expected: SafeTensorsFile) throws -> Tensor {
        let ids = try expected.integers("input_ids")
        return GradMode.withoutGrad { model(ids.values, batch: ids.shape[0], time: ids.shape[1]) }
    }

    @Test func loraWrapsAllSevenProjectionsTrainsOnlyItselfAndMergesExactly() throws {
        let m = LlamaModel(config: Self.tinyConfig, seed: 1)
        for (k, (_, p)) in m.namedParameters.enumerated() {  // larger than the init, so every layer matters
            let r = GradientCheck.randomTensor(p.shape, seed: UInt64(k + 1), scale: 0.3)
            p.pointer.update(from: r.pointer, count: p.count)
        }
        let before = m.namedParameters.map { ($0.name, $0.tensor.scalars) }
        var ini = Initializer(seed: 2)
        let context = ContextSource()
        let wrapped = try m.applyLoRA(
            LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.1, targetModules: Self.targets), initializer: &ini,
            context: context)
        let expectedNames = (0..<2).flatMap { i in
            ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
             "mlp.up_proj", "mlp.down_proj"].map { "model.layers.\(i).\($0)" }
        }
        #expect(Set(wrapped) == Set(expectedNames) && wrapped.count == 14)
        #expect(m.namedParameters.contains { $0.name == "model.layers.1.mlp.down_proj.lora_B.weight" })
        #expect(m.namedParameters.contains { $0.name == "model.layers.0.self_attn.q_proj.weight" })
        #expect(m.trainOnly(matching: ["*.lora_*"]).count == 28)

        let ids: [Int32] = [1, 5, 9, 2, 22, 3, 7, 0]
        let proj = GradientCheck.randomTensor([2, 4, 23], seed: 77)
        let opt = AdamW(groups: [
            .init(name: "lora", parameters: m.trainableParameters, learningRate: 0.05, weightDecay: 0.01)
        ])
        for step in 0..<3 {
            context.current = ForwardContext(training: true, seed: 5, step: UInt64(step))
            GradMode.withGrad { (m(ids, batch: 2, time: 4) * proj).sum().backward() }
            opt.update()
            m.zeroGrad()
        }
        context.current = .inference
        for p in m.namedParameters where !p.name.contains("lora_") { #expect(p.tensor.grad == nil, "\(p.name)") }
        for (name, values) in before {
            #expect(m.namedParameters.first { $0.name == name }?.tensor.scalars == values, "\(name) changed")
        }
        #expect(m.namedParameters.contains { $0.name.hasSuffix("lora_B.weight") && $0.tensor.scalars.contains { $0 != 0 } })
        let unmerged = GradMode.withoutGrad { m(ids, batch: 2, time: 4) }
        #expect(try m.mergeLoRA().count == 14)
        #expect(m.namedSlots.allSatisfy { $0.slot.layer is Linear })
        #expect(Set(m.namedParameters.map(\.name)) == Set(before.map(\.0)))
        let merged = GradMode.withoutGrad { m(ids, batch: 2, time: 4) }
        #expect(maxDifference(unmerged, merged) <= 1e-5)
        #expect(m.namedParameters.contains { p in p.tensor.scalars != before.first { $0.0 == p.name }?.1 })
    }

    @Test func loadsPEFTsLlamaAdapterAndMatchesItsLogitsUnmergedAndMerged() throws {
        let dir = try fixture()
        let expected = try SafeTensorsFile(path: dir + "/expected.safetensors")
        let model = try LlamaModel(directory: URL(fileURLWithPath: dir))
        let base = maxDifference(try logits(model, expected), try expected.tensor("logits_base"))
        #expect(base <= 1e-4)

        let config = try PEFTLoRAFiles.readConfiguration(directory: dir + "/adapter")
        #expect(config == LoRAConfiguration(rank: 4, alpha: 8, dropout: 0, targetModules: Self.targets.sorted()))
        var ini = Initializer(seed: 1)
        try model.applyLoRA(config, initializer: &ini, context: ContextSource())
        #expect(try PEFTLoRAFiles.loadWeights(into: model, directory: dir + "/adapter") == 28)
        let reference = try expected.tensor("logits_lora")
        let lora = maxDifference(try logits(model, expected), reference)
        #expect(lora <= 1e-4)
        #expect(maxDifference(try expected.tensor("logits_base"), reference) > 0.1)  // the adapter matters

        try model.mergeLoRA()
        let merged = maxDifference(try logits(model, expected), try expected.tensor("logits_merged"))
        #expect(merged <= 1e-4)
        print("PEFT Llama fixture: max |logit difference| base \(base), with the adapter \(lora), merged \(merged)")
    }

    @Test func exportsTheKeysAndConfigurationPEFTWritesForACausalLM() throws {
        let dir = try fixture()
        let model = try LlamaModel(directory: URL(fileURLWithPath: dir))
        let config = try PEFTLoRAFiles.readConfiguration(directory: dir + "/adapter")
        var ini = Initializer(seed: 1)
        try model.applyLoRA(config, initializer: &ini, context: ContextSource())
        try PEFTLoRAFiles.loadWeights(into: model, directory: dir + "/adapter")

        // FINETUNED_EXPORT_DIR keeps the export for scripts/golden/check-exports.py --kind peft-llama.
        let keep = ProcessInfo.processInfo.environment["FINETUNED_EXPORT_DIR"].map { $0 + "/peft-lora-llama" }
        let out =
            keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("peft-llama-\(UUID().uuidString)").path
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: out) } }
        try PEFTLoRAFiles.writeConfiguration(config, baseModel: "tiny-llama", taskType: "CAUSAL_LM", directory: out)
        try PEFTLoRAFiles.writeWeights(of: model, directory: out)

        let ours = try SafeTensorsFile(path: out + "/adapter_model.safetensors")
        let peft = try SafeTensorsFile(path: dir + "/adapter/adapter_model.safetensors")
        #expect(ours.names.sorted() == peft.names.sorted())
        #expect(ours.names.contains("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"))
        for name in peft.names {
            #expect(ours.entries[name]?.shape == peft.entries[name]?.shape, "\(name)")
            #expect(try ours.tensor(name).scalars == peft.tensor(name).scalars, "\(name)")
        }
        let json = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/adapter_config.json")))
                as? [String: Any])
        #expect(json["task_type"] as? String == "CAUSAL_LM")
        #expect(try PEFTLoRAFiles.readConfiguration(directory: out) == config)
    }
}

/// Token ids and lengths from outside are located errors, not traps in the embedding.
@Suite struct LlamaInputTests {
    @Test func outOfRangeIdsAndOverlongInputsAreLocatedErrors() throws {
        let m = LlamaModel(config: PEFTOnLlamaTests.tinyConfig, seed: 1)
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch let e as ModelError {
                #expect(e.code == .invalidInput)
                return e.message
            } catch { return "\(error)" }
        }
        #expect(message { _ = try m.logits([1, 2, 3, 4, 23, 5], batch: 2, time: 3) }.contains("row 1, position 1: token id 23"))
        #expect(message { _ = try m.logits([1, -1], batch: 1, time: 2) }.contains("token id -1"))
        #expect(message { _ = try m.logits([1, 2, 3], batch: 2, time: 2) }.contains("do not form a [2, 2] batch"))
        #expect(message { _ = try m.logits([Int32](repeating: 1, count: 17), batch: 1, time: 17) }.contains("context of 16"))
        #expect(message { _ = try m.generate([1, 99], maxNewTokens: 2) }.contains("token id 99"))
        #expect(message { _ = try m.generate([1, 2, 3], maxNewTokens: 15) }.contains("lower max_new_tokens"))
        #expect(try m.generate([1, 2, 3], maxNewTokens: 14, stop: []).count == 14)  // exactly fills the context
        let cache = LlamaKVCache(layers: 2)
        _ = try m.forward([Int32](repeating: 3, count: 10), cache: cache)
        #expect(message { _ = try m.forward([Int32](repeating: 3, count: 7), cache: cache) }.contains("10 cached + 7"))
        #expect(cache.count == 10)  // nothing was run
        #expect(try m.logits([1, 2, 22], batch: 1, time: 3).shape == [1, 3, 23])
    }

    /// The loaders skip the random initialisation (the file's weights overwrite it): the loaded model equals the
    /// file, whatever the initializer would have drawn.
    @Test func anUnfilledInitializerDrawsZerosAndTheLoadedModelIsTheFile() throws {
        var ini = Initializer.unfilled
        #expect(ini.normal([3, 4], std: 1).scalars == [Float](repeating: 0, count: 12))
        #expect(ini.uniform([5], bound: 1).scalars == [Float](repeating: 0, count: 5))
        let dir = try ggufFixture("tiny-llama")
        let model = try LlamaModel(directory: dir)
        let file = try SafeTensorsFile(path: dir.appendingPathComponent("model.safetensors").path)
        for (name, p) in model.namedParameters { #expect(p.scalars == (try file.tensor(name)).scalars, "\(name)") }
    }
}

/// A decoder's sequence vector for a head is its last real token; with right padding and causal attention that
/// token's hidden state equals the unpadded sequence's last state, and the padding after it changes nothing.
@Suite struct LlamaLastTokenPoolingTests {
    @Test func lastTokenPoolingOnRightPaddedLlamaStatesEqualsTheUnpaddedRows() throws {
        let m = try LlamaModel(directory: try ggufFixture("tiny-llama"))
        let rows: [[Int32]] = [[3, 17, 42, 8, 11], [5, 9], [21, 30, 2]]
        let nt = 5
        var ids = [Int32](repeating: 0, count: rows.count * nt)
        var mask = [Int32](repeating: 0, count: rows.count * nt)
        for (b, row) in rows.enumerated() {
            for (t, id) in row.enumerated() {
                ids[b * nt + t] = id
                mask[b * nt + t] = 1
            }
            for t in row.count..<nt { ids[b * nt + t] = Int32(40 + t) }  // padding ids that would matter if seen
        }
        let c = m.config.hiddenSize
        let pooled = GradMode.withoutGrad { Pooling.lastToken(m.hidden(ids, batch: rows.count, time: nt), mask: mask) }
        #expect(pooled.shape == [rows.count, c])
        for (b, row) in rows.enumerated() {
            let alone = GradMode.withoutGrad { m.hidden(row, batch: 1, time: row.count) }  // [1, T, C]
            let last = Array(alone.scalars[((row.count - 1) * c)..<(row.count * c)])
            let got = Array(pooled.scalars[(b * c)..<((b + 1) * c)])
            let worst = zip(got, last).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5, "row \(b): \(worst)")
        }
        // Without the mask the pooled vector of a padded row is its last (padding) position, which differs.
        let unmasked = GradMode.withoutGrad { Pooling.lastToken(m.hidden(ids, batch: rows.count, time: nt), mask: nil) }
        #expect(maxDifference(unmasked, pooled) > 1e-3)
    }
}
