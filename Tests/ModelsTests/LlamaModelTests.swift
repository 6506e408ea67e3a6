import Foundation
import NN
import Tensor
import TestSupport
import Testing

@testable import Models

@Suite struct LlamaModelTests {
    /// The real SmolLM2-135M-Instruct from its GGUF (dequantized to float32) against transformers loading the same
    /// file (`gguf_file=`, float32) on 5 prompts: every 16th vocabulary logit at every position, and all logits of
    /// the last position, within 1e-3 relative (of the largest |logit| of the prompt).
    @Test func logitsMatchTransformers() async throws {
        // Minutes of compute in a debug build: off Swift concurrency's two threads, or every other test stalls.
        try await offThePool { try Self.compareLogits() }
    }

    static func compareLogits() throws {
        guard let model = try SmolLM2.model() else { return }
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
                (sampled, try ref.tensor("p\(p).logits_every16"), "every 16th"),
                (last, try ref.tensor("p\(p).last"), "last"),
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
            var inputs = [
                model.tokenEmbeddings.weight, b.inputNorm.weight, b.query.weight, b.key.weight, b.value.weight,
                b.output.weight, b.gate.weight, b.up.weight, b.down.weight, model.norm.weight,
            ]
            if let head = model.lmHead { inputs.append(head.weight) }
            let failures = GradientCheck.run(inputs, h: 1e-2, atol: 3e-3, rtol: 2e-2, maxElementsPerInput: 40) {
                model(ids, batch: 2, time: 3)
            }
            #expect(failures.isEmpty, "tied \(tied): \(failures.prefix(5))")
        }
    }
}

/// HF safetensors + config.json: a tiny random `LlamaForCausalLM` saved by transformers loads and gives its
/// logits; our save loads back identically.
@Suite struct LlamaDirectoryTests {
    static func tinyDirectory() throws -> URL { try ggufFixture("tiny-llama") }

    @Test func logitsMatchTransformers() throws {
        let model = try LlamaModel(directory: try Self.tinyDirectory())
        #expect(model.config.numKeyValueHeads == 2 && model.config.ropeTheta == 100 && model.lmHead != nil)
        let ref = try SafeTensorsFile(path: try ggufFixture("tiny-llama-reference.safetensors").path)
        let ids = try ref.integers("ids")
        let logits = GradMode.withoutGrad { model(ids.values, batch: ids.shape[0], time: ids.shape[1]) }
        let expected = try ref.tensor("logits")
        #expect(logits.shape == expected.shape)
        let c = closeness(logits, expected, rtol: 1e-4, atol: 1e-5)
        #expect(c.excess <= 0, "element \(c.index): \(c.a) vs transformers \(c.b)")
    }

    @Test func savesWhatItLoads() throws {
        let model = try LlamaModel(directory: try Self.tinyDirectory())
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("llama-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(to: dir)
        let back = try LlamaModel(directory: dir)
        #expect(back.config == model.config)
        let ids: [Int32] = [1, 2, 3, 4]
        #expect(back(ids, batch: 1, time: 4).scalars == model(ids, batch: 1, time: 4).scalars)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json")))
                as? [String: Any])
        #expect(json["model_type"] as? String == "llama")
        #expect((json["rope_parameters"] as? [String: Any])?["rope_theta"] as? Double == 100)
        let names = try SafeTensorsFile(path: dir.appendingPathComponent("model.safetensors").path).names
        #expect(names.contains("lm_head.weight") && names.contains("model.layers.1.mlp.down_proj.weight"))
    }

    @Test(arguments: [
        (#"{"rope_scaling": {"type": "linear", "factor": 2}}"#, "rope_scaling"),
        (#"{"rope_parameters": {"rope_type": "yarn", "rope_theta": 1}}"#, "rope_type 'yarn'"),
        (#"{"mlp_bias": true}"#, "mlp_bias"), (#"{"hidden_act": "gelu"}"#, "hidden_act 'gelu'"),
        (#"{"model_type": "mistral"}"#, "model_type 'mistral'"),
        (#"{"num_attention_heads": 6, "num_key_value_heads": 4, "hidden_size": 24}"#, "not a multiple"),
    ])
    func refusesWhatItDoesNotImplement(_ c: (String, String)) throws {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "llama-config-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(c.0.utf8).write(to: url)
        let e = try #require(throws: ModelError.self) { try LlamaConfig(contentsOf: url) }
        #expect(e.message.contains(c.1) && e.path == url.path, "\(e)")
        #expect(throws: Never.self) {
            try LlamaConfig(contentsOf: try Self.tinyDirectory().appendingPathComponent("config.json"))
        }
    }
}

extension LlamaDirectoryTests {
    /// A config.json that does not describe the weights is refused before a model of its size is allocated.
    @Test func aConfigThatLiesIsRefused() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("llama-lie-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tiny = try Self.tinyDirectory()
        try FileManager.default.copyItem(
            at: tiny.appendingPathComponent("model.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
        let config = try String(contentsOf: tiny.appendingPathComponent("config.json"), encoding: .utf8)
        for (from, to, message) in [
            (#""num_hidden_layers": 2"#, #""num_hidden_layers": 1000000000"#, "layers but only"),
            (#""hidden_size": 16"#, #""hidden_size": 1048576, "head_dim": 4"#, "implies"),
            (#""num_hidden_layers": 2"#, #""num_hidden_layers": 3"#, "missing 'model.layers.2"),
        ] {
            try config.replacingOccurrences(of: from, with: to).write(
                to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            let e = try #require(throws: ModelError.self) { try LlamaModel(directory: dir) }
            #expect(e.message.contains(message), "\(e)")
        }
    }
}
