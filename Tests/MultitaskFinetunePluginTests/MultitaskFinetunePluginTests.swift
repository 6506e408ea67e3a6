import Datasets
import Foundation
import Models
import NN
import StageKit
import Tensor
import Testing
import Training

/// The real `finetuned-stage-multitask-finetune` executable on a tiny BERT and three learnable tasks: it trains
/// (the loss falls), writes an artifact that `MultitaskArtifact.loadModel` loads and that scores exactly what the
/// stage reported for its best step, for every PEFT method; killed with SIGKILL mid-run and re-run, it resumes and
/// ends bitwise equal to an uninterrupted run; bad options and inputs are refused with their location.
@Suite(.serialized) struct MultitaskFinetunePluginTests {
    static let tasks: StageKit.JSONValue = [
        "topic": ["input": "topic", "kind": "classification", "metric": "accuracy"],
        "length": ["input": "length", "kind": "classification", "metric": "accuracy"],
        "share": ["input": "share", "kind": "regression", "metric": "pearson"],
    ]

    static func params(
        peft: StageKit.JSONValue = ["method": "none"], steps: Int = 60, extra: [String: StageKit.JSONValue] = [:]
    ) -> StageKit.JSONValue {
        var p: [String: StageKit.JSONValue] = [
            "tasks": tasks, "peft": peft,
            "sampling": ["strategy": "temperature", "temperature": 2.0],
            "experts": ["shared": 2, "per_task": 1, "hidden": 8, "output": 6],
            "train": [
                "steps": .int(steps), "batch_size": 8, "lr": 3e-3, "head_lr": 1e-2, "eval_every": 10,
                "checkpoint_every": 3, "warmup_ratio": 0.0, "head_dropout": 0.0,
            ],
        ]
        for (k, v) in extra { p[k] = v }
        return .object(p)
    }

    static func metrics(_ dir: String) throws -> StageKit.JSONValue {
        try JSONDecoder().decode(StageKit.JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/metrics.json")))
    }

    /// The loaded artifact's validation score of each task, computed here from its predictions.
    static func scores(
        of model: MultitaskModel, workspace ws: MultitaskWorkspace, split: String = "validation"
    ) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, spec) in model.tasks.enumerated() {
            let shard = try TokenShardReader(path: ws.artifact + "/tokens/\(spec.name)/\(split).bin")
            let p = try GradMode.withoutGrad {
                try MultitaskPredictions.compute(
                    model: model, batcher: TaskBatcher(task: k, spec: spec, padID: 0), shard: shard, rows: 512,
                    batchSize: 5)
            }
            if spec.kind == .regression {
                let n = Double(p.values.count)
                let mx = p.values.reduce(0, +) / n, my = p.targets.reduce(0, +) / n
                var sxy = 0.0, sxx = 0.0, syy = 0.0
                for (x, y) in zip(p.values, p.targets) {
                    sxy += (x - mx) * (y - my)
                    sxx += (x - mx) * (x - mx)
                    syy += (y - my) * (y - my)
                }
                out[spec.name] = sxy / (sxx * syy).squareRoot()
            } else {
                out[spec.name] = Double(zip(p.gold, p.predicted).filter { $0 == $1 }.count) / Double(p.gold.count)
            }
        }
        return out
    }

    /// Copies the stage's output to `dir` with `ours.safetensors`: `input_ids`, `attention_mask` (6 validation rows
    /// of `topic`) and `hidden_<task>`, the loaded model's trunk output `[B, T, C]` with that task's adapters.
    static func keepForAdapters(_ model: MultitaskModel, output: String, workspace ws: MultitaskWorkspace, to dir: String) throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: (dir as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try fm.copyItem(atPath: output, toPath: dir)
        let shard = try TokenShardReader(path: ws.artifact + "/tokens/topic/validation.bin")
        let batch = try TaskBatcher(task: 0, spec: model.tasks[0], padID: 0).batch(shard, rows: Array(0..<6))
        let input = batch.input
        var tensors: [(name: String, tensor: Tensor)] = [
            ("input_ids", Tensor(input.inputIds.map(Float.init), shape: [input.batch, input.time])),
            ("attention_mask", Tensor((input.attentionMask ?? []).map(Float.init), shape: [input.batch, input.time])),
        ]
        for t in model.tasks {
            model.taskSelector?.current = t.name
            tensors.append(("hidden_" + t.name, GradMode.withoutGrad { model.trunk.hiddenStates(input, context: .inference) }))
        }
        model.taskSelector?.current = nil
        try SafeTensorsFile.write(tensors, to: dir + "/ours.safetensors")
    }

    @Test(arguments: [
        ["method": "none"], ["method": "lora", "rank": 4, "alpha": 8.0], ["method": "lora", "rank": 2, "per_task": true],
        ["method": "adapters", "reduction_factor": 2],
        ["method": "adapters", "reduction_factor": 2, "per_task": true],
    ] as [StageKit.JSONValue])
    func aRunTrainsAndItsArtifactLoadsWithTheReportedScores(peft: StageKit.JSONValue) async throws {
        let ws = try MultitaskWorkspace()
        // The small LoRA / adapter updates of an 8-wide trunk need a larger rate than full fine-tuning.
        let rate: StageKit.JSONValue = peft["method"]?.stringValue == "none" ? 3e-3 : 3e-2
        var params = Self.params(peft: peft).objectValue ?? [:]
        var train = params["train"]?.objectValue ?? [:]
        train["lr"] = rate
        train["score_test"] = true
        params["train"] = .object(train)
        let outcome = try await ws.run(try ws.request("r", params: .object(params)))
        #expect(outcome.status == 0, "\(outcome.events.suffix(3))")
        let out = ws.root + "/r/output"
        #expect(outcome.logs.contains { $0.hasSuffix("trunk from \(ws.model)") })

        // The loss falls.
        let curve = try String(contentsOfFile: out + "/curve.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(curve.count == 60)
        let losses = try curve.map { try #require(JSONDecoder().decode(StageKit.JSONValue.self, from: Data($0.utf8))["loss"]?.doubleValue) }
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.8 * first, "loss \(first) → \(last)")

        // The artifact: loadModel gives the model whose scores the stage reported for its best step.
        let metrics = try Self.metrics(out)
        let model = try MultitaskArtifact.loadModel(directory: out)
        #expect(model.tasks.map(\.name) == ["length", "share", "topic"])
        #expect(model.tasks.first?.labelNames == ["long", "medium", "short"])
        let scores = try Self.scores(of: model, workspace: ws)
        for (task, score) in scores {
            let reported = try #require(metrics["best_scores"]?[task]?.doubleValue, "\(task)")
            #expect(abs(score - reported) < 1e-4, "\(task): loaded \(score), reported \(reported)")
        }
        // The test-split scores the stage reported are the artifact's too.
        for (task, score) in try Self.scores(of: model, workspace: ws, split: "test") {
            let reported = try #require(metrics["test_scores"]?[task]?.doubleValue, "\(task)")
            #expect(abs(score - reported) < 1e-4, "\(task) test: loaded \(score), reported \(reported)")
        }
        let best = try #require(metrics["best_mean_score"]?.doubleValue)
        // Chance level is ≈ 0.28 (accuracy 1/2 and 1/3, correlation 0); the frozen random 8-wide trunk of the PEFT
        // runs learns less in 60 steps than full fine-tuning.
        #expect(best > (peft["method"]?.stringValue == "none" ? 0.5 : 0.33), "best mean validation score \(best)")
        let evaluations = try #require(metrics["evaluations"]?.arrayValue)
        #expect(evaluations.count == 6)
        #expect(evaluations.compactMap { $0["mean_score"]?.doubleValue }.max() == best)
        // Gate weights per task, each summing to one (a task sees its own expert and the two shared ones).
        let gates = try #require(metrics["gates"]?["topic"]?.arrayValue).compactMap { $0.doubleValue }
        #expect(gates.count == 3 && abs(gates.reduce(0, +) - 1) < 1e-3)
        let share = try #require(metrics["trainable_share"]?.doubleValue)
        let trunkFile = try SafeTensorsFile(path: out + "/model.safetensors")
        #expect(trunkFile.entries["encoder.layer.1.output.dense.weight"]?.shape == [8, 16])
        #expect(!trunkFile.names.contains { $0.contains("lora_") || $0.contains("adapters") })
        let method = peft["method"]?.stringValue ?? ""
        let fm = FileManager.default
        switch method {
        case "lora":
            #expect(share < 0.2, "trainable share \(share)")
            if peft["per_task"]?.boolValue == true {
                for t in ["topic", "length", "share"] {
                    #expect(fm.fileExists(atPath: out + "/peft/\(t)/adapter_model.safetensors"))
                }
            } else {
                let peftFile = try SafeTensorsFile(path: out + "/peft/adapter_model.safetensors")
                #expect(peftFile.entries["base_model.model.encoder.layer.0.attention.self.query.lora_A.weight"]?.shape == [4, 8])
            }
        case "adapters":
            #expect(share < 0.2)
            if peft["per_task"]?.boolValue == true {
                // One AdapterHub folder per task, its adapter named after the task; the shared trunk is the base's,
                // bitwise (frozen, LayerNorms included).
                for t in ["topic", "length", "share"] {
                    let file = try SafeTensorsFile(path: out + "/adapters/\(t)/adapter.safetensors")
                    #expect(file.names.count == 2 * 2 * 4 && file.names.allSatisfy { $0.contains(".adapters.\(t).") })
                    let config = try AdapterHubFiles.readConfiguration(directory: out + "/adapters/\(t)")
                    #expect(config.name == t)
                }
                let base = try SafeTensorsFile(path: ws.model + "/model.safetensors")
                for name in trunkFile.names {
                    #expect(try trunkFile.tensor(name).scalars == base.tensor(name).scalars, "\(name)")
                }
            } else {
                #expect(fm.fileExists(atPath: out + "/adapters/default/adapter.safetensors"))
            }
            // FINETUNED_EXPORT_DIR keeps the stage's output and our trunk's hidden states for
            // scripts/golden/check-exports.py --kind stage-adapters (the adapters library loads the export).
            if let keep = ProcessInfo.processInfo.environment["FINETUNED_EXPORT_DIR"] {
                try Self.keepForAdapters(
                    model, output: out, workspace: ws,
                    to: keep + (peft["per_task"]?.boolValue == true ? "/stage-adapters-per-task" : "/stage-adapters"))
            }
        default: #expect(share > 0.99)
        }
    }

    @Test func aKilledRunResumesAndEndsBitwiseEqual() async throws {
        let ws = try MultitaskWorkspace()
        // Every piece of resumable state: per-task data positions, mixed batches, uncertainty weights, PCGrad,
        // the conflict monitor, the domain classifier's data, LoRA dropout masks, the best weights.
        let params = Self.params(
            peft: ["method": "lora", "rank": 2, "dropout": 0.1], steps: 24,
            extra: [
                "sampling": ["strategy": "proportional", "batches": "mixed"], "loss_weighting": "uncertainty",
                "pcgrad": true, "conflict_monitor": ["every": 5, "rows": 4],
                "domain_adversarial": ["inputs": ["topic", "general"], "schedule": "dann"],
            ])
        let straight = try await ws.run(try ws.request("straight", params: params))
        #expect(straight.status == 0, "\(straight.events.suffix(3))")
        let first = try await ws.run(try ws.request("killed", params: params), killAfterCheckpoint: 12)
        #expect(first.reason == .uncaughtSignal && first.status == SIGKILL)
        let killedAt = try #require(first.killedAfterCheckpoint)
        #expect(!FileManager.default.fileExists(atPath: ws.root + "/killed/output/model.safetensors"))
        let second = try await ws.run(try ws.request("killed", params: params))
        #expect(second.status == 0, "\(second.events.suffix(3))")
        let resumed = second.logs.filter { $0.hasPrefix("resuming from the checkpoint at step") }
        #expect(resumed.count == 1)
        let step = resumed.first.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        #expect(step >= killedAt && step < 24, "resumed at \(step), killed after checkpoint \(killedAt)")
        for file in ["model.safetensors", "multitask.safetensors", "peft/adapter_model.safetensors", "curve.jsonl"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: ws.root + "/straight/output/" + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: ws.root + "/killed/output/" + file))
            #expect(a == b, "\(file) of the resumed run differs from the uninterrupted run's")
        }
        let a = try Self.metrics(ws.root + "/straight/output"), b = try Self.metrics(ws.root + "/killed/output")
        #expect(a["evaluations"] == b["evaluations"] && a["conflicts"] == b["conflicts"])
        #expect((a["conflicts"]?.arrayValue?.count ?? 0) == 5 * 3)
        let multitask = try SafeTensorsFile(path: ws.root + "/straight/output/multitask.safetensors")
        #expect(multitask.entries["loss_weighting.log_vars"]?.shape == [3])
        #expect(multitask.entries["domain_classifier.out_proj.weight"]?.shape == [2, 8])
    }

    /// A checkpoint whose stage numbers (a task's data position, kept as a Double) are not counts fails the resume
    /// with the manifest and the field named; `Int(_:)` on them trapped before.
    @Test func aResumedCheckpointWithAHostileDataPositionIsALocatedError() async throws {
        let ws = try MultitaskWorkspace()
        let params = Self.params(steps: 5)
        let first = try await ws.run(try ws.request("c", params: params))
        #expect(first.status == 0, "\(first.events.suffix(3))")
        let checkpoints = ws.root + "/c/scratch/checkpoints"
        let newest = try #require(
            try FileManager.default.contentsOfDirectory(atPath: checkpoints).filter { $0.hasPrefix("step-") }.max())
        let manifest = checkpoints + "/" + newest + "/manifest.json"
        var json = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as? [String: Any])
        var state = try #require(json["state"] as? [String: Any])
        var values = try #require(state["values"] as? [String: Any])
        #expect(values["data.0.epoch"] != nil)
        values["data.0.epoch"] = 1e300
        state["values"] = values
        json["state"] = state
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: manifest))
        let second = try await ws.run(try ws.request("c", params: params))
        #expect(second.status == 1, "\(second.reason) \(second.status)")
        let error = second.error ?? ""
        #expect(error.hasPrefix(manifest + ": error: 'state.values.data.0.epoch' is 1e+300"), "\(error)")
    }

    @Test func aDomainPretrainedTrunkIsUsedWhenUpstream() async throws {
        let ws = try MultitaskWorkspace()
        let p = Self.params(steps: 2)
        let withDAPT = try await ws.run(try ws.request("dapt", params: p, upstream: ["dapt": ws.dapt]))
        #expect(withDAPT.status == 0, "\(withDAPT.events.suffix(3))")
        #expect(withDAPT.logs.contains { $0.hasSuffix("trunk from \(ws.dapt)") })
        let base = try await ws.run(
            try ws.request("base", params: Self.params(steps: 2, extra: ["trunk": "base"]), upstream: ["dapt": ws.dapt]))
        #expect(base.status == 0)
        #expect(base.logs.contains { $0.hasSuffix("trunk from \(ws.model)") })
    }

    @Test func badOptionsAndInputsAreRefusedWithTheirLocation() async throws {
        let ws = try MultitaskWorkspace(badTrainID: 40000)
        func error(_ params: StageKit.JSONValue) async throws -> String {
            let outcome = try await ws.run(try ws.request("bad", params: params))
            #expect(outcome.status == 1)
            return outcome.error ?? ""
        }
        var tasks = Self.tasks.objectValue ?? [:]
        tasks["topic"] = ["input": "topic", "kind": "tagging"]
        #expect(try await error(["tasks": .object(tasks)]).contains("tasks.topic.kind: 'tagging' is not one of"))
        tasks["topic"] = ["input": "nowhere"]
        let missing = try await error(["tasks": .object(tasks)])
        #expect(missing.contains("tasks.topic.input") && missing.contains("no upstream tokenize artifact has an input 'nowhere'"))
        tasks["topic"] = ["input": "share", "kind": "classification"]
        #expect(try await error(["tasks": .object(tasks)]).contains("tasks.topic.input: input 'share' has 0 class labels"))
        tasks["topic"] = ["input": "topic", "metric": "pearson"]
        #expect(try await error(["tasks": .object(tasks)]).contains("tasks.topic.metric: 'pearson' does not fit"))
        #expect(try await error(Self.params(extra: ["pcgrad": true])).hasPrefix("pcgrad: PCGrad needs several tasks per step"))
        #expect(try await error(Self.params(extra: ["train": ["stepz": 3]])).contains("train.stepz: unknown parameter"))
        let clean = try MultitaskWorkspace()
        let typo = try await clean.run(
            try clean.request("typo", params: Self.params(peft: ["method": "lora", "target_modules": ["qery"]])))
        #expect(typo.status == 1 && typo.error?.contains("'qery' names no linear projection") == true, "\(typo.error ?? "")")
        #expect(
            try await error(Self.params())
                == ws.artifact + "/tokens/topic/train.bin, row 5: error: token 3 has id 40000; the model's vocabulary "
                + "has 30522 ids (hint: tokenize with the model's tokenizer)")
    }
}
