import Foundation
import Models
import StageKit
import Testing

/// The real `finetuned-stage-domain-pretrain` executable on a tiny BERT: killed with SIGKILL mid-run and re-run,
/// it resumes from its last checkpoint and ends with weights bitwise equal to an uninterrupted run (one thread,
/// same seed); inputs it must refuse are refused with their location.
@Suite(.serialized) struct DomainPretrainPluginTests {
    let params: StageKit.JSONValue = [
        "corpus": "corpus", "steps": 30, "head_warmup_steps": 4, "batch_size": 4, "accumulate": 2,
        "eval_every": 10, "eval_rows": 8, "checkpoint_every": 3, "lr": 1e-3, "whole_word": true,
    ]

    @Test func aKilledRunResumesAndEndsBitwiseEqual() async throws {
        let ws = try DomainPretrainWorkspace()
        let straight = try await ws.run(try ws.request("straight", params: params))
        #expect(straight.status == 0, "\(straight.events.suffix(3))")

        let first = try await ws.run(try ws.request("killed", params: params), killAfterCheckpoint: 9)
        #expect(first.reason == .uncaughtSignal && first.status == SIGKILL)
        let killedAt = try #require(first.killedAfterCheckpoint)
        #expect(!FileManager.default.fileExists(atPath: ws.root + "/killed/output/model.safetensors"))
        let second = try await ws.run(try ws.request("killed", params: params))
        #expect(second.status == 0, "\(second.events.suffix(3))")
        let resumed = second.events.compactMap { e -> String? in
            if case .log(_, let m) = e, m.hasPrefix("resuming from the checkpoint at step") { return m } else { return nil }
        }
        #expect(resumed.count == 1)
        let step = resumed.first.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        #expect(step >= killedAt && step < 34, "resumed at \(step), killed after checkpoint \(killedAt)")

        let a = try Data(contentsOf: URL(fileURLWithPath: ws.root + "/straight/output/model.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: ws.root + "/killed/output/model.safetensors"))
        #expect(a == b, "the resumed run's weights differ from the uninterrupted run's")
        let curveA = try String(contentsOfFile: ws.root + "/straight/output/curve.jsonl", encoding: .utf8)
        let curveB = try String(contentsOfFile: ws.root + "/killed/output/curve.jsonl", encoding: .utf8)
        #expect(curveA == curveB)
        // The created head as it was at the "before" measurement, kept for the evaluate stage's base-model row:
        // the same in the resumed run (written once, in scratch, before the kill).
        let headA = try Data(contentsOf: URL(fileURLWithPath: ws.root + "/straight/output/before-head.safetensors"))
        let headB = try Data(contentsOf: URL(fileURLWithPath: ws.root + "/killed/output/before-head.safetensors"))
        #expect(headA == headB)
        let head = try SafeTensorsFile(path: ws.root + "/straight/output/before-head.safetensors")
        #expect(head.entries.keys.sorted().first == "cls.predictions.bias" && head.entries.keys.allSatisfy { $0.hasPrefix("cls.") })
        let trained = try SafeTensorsFile(path: ws.root + "/straight/output/model.safetensors")
        #expect(try head.tensor("cls.predictions.bias").scalars != trained.tensor("cls.predictions.bias").scalars)

        // The artifact: HF names with the created head under cls.predictions, the tokenizer, the metrics.
        let model = try SafeTensorsFile(path: ws.root + "/straight/output/model.safetensors")
        #expect(model.entries["cls.predictions.transform.dense.weight"] != nil)
        #expect(model.entries["cls.predictions.bias"]?.shape == [30522])
        #expect(model.entries["bert.encoder.layer.1.output.LayerNorm.weight"] != nil)
        let config = try String(contentsOfFile: ws.root + "/straight/output/config.json", encoding: .utf8)
        #expect(config.contains("BertForMaskedLM"))
        #expect(FileManager.default.contentsEqual(
            atPath: ws.root + "/straight/output/tokenizer.json", andPath: DomainPretrainWorkspace.tokenizer))
        let metrics = try JSONDecoder().decode(
            StageKit.JSONValue.self,
            from: Data(contentsOf: URL(fileURLWithPath: ws.root + "/straight/output/metrics.json")))
        #expect(metrics["steps"]?.intValue == 30 && metrics["total_steps"]?.intValue == 34)
        #expect(metrics["created_head"]?.boolValue == true)
        let before = try #require(metrics["perplexity"]?["before"]?.doubleValue)
        let after = try #require(metrics["perplexity"]?["after"]?.doubleValue)
        #expect(before.isFinite && after.isFinite && before > 1)
        #expect(curveA.split(separator: "\n").count == 34)
    }

    @Test func aDecoderTrainsCausalLM() async throws {
        let ws = try DomainPretrainWorkspace(gpt: true)
        let outcome = try await ws.run(
            try ws.request("gpt", params: ["corpus": "corpus", "steps": 6, "batch_size": 4, "eval_rows": 8, "lr": 1e-3]))
        #expect(outcome.status == 0, "\(outcome.events.suffix(3))")
        let metrics = try JSONDecoder().decode(
            StageKit.JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: ws.root + "/gpt/output/metrics.json")))
        #expect(metrics["objective"]?.stringValue == "clm" && metrics["head_warmup_steps"]?.intValue == 0)
        #expect(metrics["total_steps"]?.intValue == 6)
        let before = try #require(metrics["perplexity"]?["before"]?.doubleValue)
        let after = try #require(metrics["perplexity"]?["after"]?.doubleValue)
        // A random 8-wide decoder over 30,522 ids starts near the uniform perplexity.
        #expect(before > 10_000 && before < 60_000 && after.isFinite)
        let model = try SafeTensorsFile(path: ws.root + "/gpt/output/model.safetensors")
        #expect(model.entries["transformer.wte.weight"]?.shape == [30522, 8])
        #expect(model.entries["transformer.h.1.mlp.c_proj.weight"] != nil)
        let config = try String(contentsOfFile: ws.root + "/gpt/output/config.json", encoding: .utf8)
        #expect(config.contains("GPT2LMHeadModel"))
        // An encoder objective on a decoder is refused.
        let wrong = try await ws.run(try ws.request("mlm", params: ["corpus": "corpus", "objective": "mlm"]))
        #expect(wrong.status == 1)
    }

    /// A Llama trains causal LM with LoRA: only the adapters train, the export is the merged LlamaForCausalLM plus
    /// the PEFT adapter, and the weights LoRA does not wrap leave bitwise unchanged.
    @Test func aLlamaTrainsCausalLMWithLoRA() async throws {
        let ws = try DomainPretrainWorkspace(llama: true)
        let lora: StageKit.JSONValue = ["rank": 2, "alpha": 4, "target_modules": ["q_proj", "v_proj", "down_proj"]]
        let outcome = try await ws.run(
            try ws.request(
                "llama", params: ["corpus": "corpus", "steps": 4, "batch_size": 4, "eval_rows": 8, "lr": 1e-2, "lora": lora]))
        #expect(outcome.status == 0, "\(outcome.events.suffix(3))")
        let out = ws.root + "/llama/output"
        let metrics = try JSONDecoder().decode(
            StageKit.JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        #expect(metrics["objective"]?.stringValue == "clm" && metrics["total_steps"]?.intValue == 4)
        // Per layer: q (2·8 + 8·2), v (2·8 + 4·2), down (2·12 + 8·2).
        #expect(metrics["trainable_parameters"]?.intValue == 2 * (32 + 24 + 40))
        #expect(metrics["lora"]?["rank"]?.intValue == 2)
        let before = try #require(metrics["perplexity"]?["before"]?.doubleValue)
        #expect(before > 10_000 && before < 60_000)
        let config = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
        #expect(config.contains("LlamaForCausalLM"))
        let base = try SafeTensorsFile(path: ws.model + "/model.safetensors")
        let merged = try SafeTensorsFile(path: out + "/model.safetensors")
        #expect(Set(merged.names) == Set(base.names))  // merged: no lora_ tensors left
        #expect(try merged.tensor("model.embed_tokens.weight").scalars == base.tensor("model.embed_tokens.weight").scalars)
        #expect(
            try merged.tensor("model.layers.1.self_attn.k_proj.weight").scalars
                == base.tensor("model.layers.1.self_attn.k_proj.weight").scalars)
        #expect(
            try merged.tensor("model.layers.0.self_attn.q_proj.weight").scalars
                != base.tensor("model.layers.0.self_attn.q_proj.weight").scalars)
        let adapter = try SafeTensorsFile(path: out + "/adapter/adapter_model.safetensors")
        #expect(adapter.names.count == 12)
        #expect(adapter.entries["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"]?.shape == [8, 2])
        let adapterConfig = try String(contentsOfFile: out + "/adapter/adapter_config.json", encoding: .utf8)
        #expect(adapterConfig.contains("\"CAUSAL_LM\""))
        #expect(FileManager.default.fileExists(atPath: out + "/tokenizer.json"))
        // A target the model does not have is refused before training.
        let typo = try await ws.run(
            try ws.request("typo", params: ["corpus": "corpus", "lora": ["target_modules": ["query"]]]))
        #expect(typo.status == 1)
    }

    @Test func aForeignTokenizerIsRejected() async throws {
        let ws = try DomainPretrainWorkspace(tokenizerDigest: String(repeating: "ab", count: 32))
        let outcome = try await ws.run(try ws.request("r", params: params))
        #expect(outcome.status == 1)
        let message = outcome.events.compactMap { e -> String? in if case .error(let m) = e { m } else { nil } }.first
        #expect(message?.contains(ws.artifact + "/index.json: error: the shards were tokenized with tokenizer") == true)
    }

    @Test func aTokenBeyondTheVocabularyIsRejectedWithItsRow() async throws {
        let ws = try DomainPretrainWorkspace(badValidationID: 40000)
        let outcome = try await ws.run(try ws.request("r", params: params))
        #expect(outcome.status == 1)
        let message = outcome.events.compactMap { e -> String? in if case .error(let m) = e { m } else { nil } }.first
        #expect(
            message == ws.artifact + "/tokens/corpus/validation.bin, row 3: error: token 5 has id 40000; the model's "
                + "vocabulary has 30522 ids (hint: tokenize with the model's tokenizer)")
    }
}
