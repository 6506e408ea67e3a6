import Foundation
import Tensor
import Testing

@testable import Models
@testable import NN

/// Our LoRA against PEFT's own files and outputs (fixture from scripts/golden/peft/generate.sh).
@Suite struct PEFTLoRAFilesTests {
    func fixture() throws -> String {
        let root = try #require(Bundle.module.resourceURL, "no resource bundle")
        return root.appendingPathComponent("Fixtures/peft-lora").path
    }

    @Test func loadsPEFTsAdapterAndMatchesItsOutputsUnmergedAndMerged() throws {
        let dir = try fixture()
        let expected = try SafeTensorsFile(path: dir + "/expected.safetensors")
        let model = try BertModel(directory: URL(fileURLWithPath: dir), pooler: false)
        #expect(maxDifference(try hidden(model, expected), try expected.tensor("hidden_base")) <= 1e-4)

        let config = try PEFTLoRAFiles.readConfiguration(directory: dir + "/adapter")
        #expect(
            config
                == LoRAConfiguration(
                    rank: 4, alpha: 8, dropout: 0.1, targetModules: ["output.dense", "query", "value"], rsLoRA: true))
        var ini = Initializer(seed: 1)
        try model.applyLoRA(config, initializer: &ini, context: ContextSource())
        #expect(try PEFTLoRAFiles.loadWeights(into: model, directory: dir + "/adapter") == 16)
        let withLoRA = try hidden(model, expected)
        let reference = try expected.tensor("hidden_lora")
        #expect(maxDifference(withLoRA, reference) <= 1e-4)
        #expect(maxDifference(try expected.tensor("hidden_base"), reference) > 0.1)  // the adapter matters

        try model.mergeLoRA()
        #expect(maxDifference(try hidden(model, expected), try expected.tensor("hidden_merged")) <= 1e-4)
    }

    @Test func exportsTheKeysShapesAndConfigurationPEFTWrites() throws {
        let dir = try fixture()
        let model = try BertModel(directory: URL(fileURLWithPath: dir), pooler: false)
        let config = try PEFTLoRAFiles.readConfiguration(directory: dir + "/adapter")
        var ini = Initializer(seed: 1)
        try model.applyLoRA(config, initializer: &ini, context: ContextSource())
        try PEFTLoRAFiles.loadWeights(into: model, directory: dir + "/adapter")

        // FINETUNED_EXPORT_DIR keeps the export for scripts/golden/check-exports.py (PEFT loads it).
        let keep = ProcessInfo.processInfo.environment["FINETUNED_EXPORT_DIR"].map { $0 + "/peft-lora" }
        let out =
            keep
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("peft-export-\(UUID().uuidString)").path
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: out) } }
        try PEFTLoRAFiles.writeConfiguration(config, baseModel: "tiny-bert", taskType: nil, directory: out)
        try PEFTLoRAFiles.writeWeights(of: model, directory: out)

        let ours = try SafeTensorsFile(path: out + "/adapter_model.safetensors")
        let peft = try SafeTensorsFile(path: dir + "/adapter/adapter_model.safetensors")
        #expect(ours.names.sorted() == peft.names.sorted())
        for name in peft.names {
            #expect(ours.entries[name]?.shape == peft.entries[name]?.shape, "\(name)")
            #expect(try ours.tensor(name).scalars == peft.tensor(name).scalars, "\(name)")
        }
        #expect(try PEFTLoRAFiles.readConfiguration(directory: out) == config)
        func json(_ path: String) throws -> [String: Any] {
            try #require(
                JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        }
        let a = try json(out + "/adapter_config.json")
        let b = try json(dir + "/adapter/adapter_config.json")
        for key in [
            "peft_type", "r", "lora_alpha", "lora_dropout", "use_rslora", "bias", "fan_in_fan_out", "use_dora",
            "init_lora_weights", "inference_mode",
        ] {
            #expect("\(a[key] ?? "absent")" == "\(b[key] ?? "absent")", "\(key)")
        }
        #expect((a["target_modules"] as? [String])?.sorted() == (b["target_modules"] as? [String])?.sorted())
    }

    @Test func refusesOptionsItDoesNotImplement() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("peft-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = [
            #"{"peft_type": "LORA", "r": 4, "target_modules": ["query"], "use_dora": true}"#,
            #"{"peft_type": "LORA", "r": 4, "target_modules": ".*query"}"#,
            #"{"peft_type": "LORA", "r": 4, "target_modules": ["query"], "rank_pattern": {"query": 8}}"#,
            #"{"peft_type": "IA3", "target_modules": ["query"]}"#,
            #"{"peft_type": "LORA", "r": 0, "target_modules": ["query"]}"#,
            #"not json"#,
        ]
        for text in cases {
            try text.write(toFile: dir + "/adapter_config.json", atomically: true, encoding: .utf8)
            #expect(throws: ModelError.self, "\(text)") { try PEFTLoRAFiles.readConfiguration(directory: dir) }
        }
    }
}

@Suite struct TaskLoRAExportTests {
    @Test func aTasksLoRAExportsAsAPlainPEFTAdapterThatReproducesItsOutput() throws {
        let config = PEFTOnBertTests.config
        let lora = LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["query", "value"])
        let multi = BertModel(config: config, pooler: false, seed: 1)
        var ini = Initializer(seed: 2)
        let selector = TaskSelector()
        try multi.applyTaskLoRA(
            lora, tasks: ["spam", "qtype"], initializer: &ini, context: ContextSource(), selector: selector)
        for (k, p) in multi.namedParameters.enumerated() where p.name.contains(".lora_B.") {
            let r = GradientCheck.randomTensor(p.tensor.shape, seed: UInt64(k), scale: 0.3)
            withExtendedLifetime(r) { p.tensor.pointer.update(from: r.pointer, count: r.count) }
        }
        let input = EncoderInput(batch: 1, time: 4, inputIds: [1, 5, 9, 2])
        selector.current = "qtype"
        let expected = GradMode.withoutGrad { multi(input, context: .inference).scalars }

        let out = FileManager.default.temporaryDirectory.appendingPathComponent("task-lora-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try PEFTLoRAFiles.writeWeights(of: multi, task: "qtype", directory: out)
        #expect(throws: ModelError.self) {
            try PEFTLoRAFiles.writeWeights(of: multi, task: "sentiment", directory: out)
        }

        let single = BertModel(config: config, pooler: false, seed: 1)
        var ini2 = Initializer(seed: 9)
        try single.applyLoRA(lora, initializer: &ini2, context: ContextSource())
        #expect(try PEFTLoRAFiles.loadWeights(into: single, directory: out) == 8)
        let file = try SafeTensorsFile(path: out + "/" + PEFTLoRAFiles.weightsName)
        #expect(file.names.contains("base_model.model.encoder.layer.1.attention.self.value.lora_B.weight"))
        let got = GradMode.withoutGrad { single(input, context: .inference).scalars }
        for (a, b) in zip(got, expected) { #expect(abs(a - b) <= 1e-6) }
    }
}
