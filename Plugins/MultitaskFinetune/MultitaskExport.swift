import Foundation
import Models
import NN
import StageKit
import Training

/// The stage's output folder (docs/multitask.md, "Output"): what `MultitaskArtifact.loadModel(directory:)`
/// reads, the PEFT or AdapterHub folder, metrics.json and curve.jsonl.
enum MultitaskExport {
    /// Writes everything from the run's best weights (`testScores`: their test-split scores, when asked); returns the result summary (metrics.json's content).
    static func write(
        run: MultitaskRun, testScores: [String: Double]?, trunkDirectory: String, tokenizer: String, outputDir out: String, wallSeconds: Double,
        threads: Int
    ) throws -> JSONValue {
        let options = run.options
        let model = run.model
        let trunk = model.trunk
        // Counted before LoRA is merged away.
        let parameters = run.trainable.parameterCount
        let trainableCount = run.trainable.trainableParameterCount
        let share = run.trainable.trainableShare
        let fm = FileManager.default

        var taskLoRA: LoRAConfiguration?
        var taskAdapters: BottleneckAdapterConfiguration?
        // PEFT's task type follows the HF class the trunk's names belong to: a bare BertModel has none; the Llama's
        // names are LlamaForCausalLM's (`model.layers.N.…`), so PEFT loads the adapter as CAUSAL_LM.
        let taskType: String? = trunk.trunkKind == .decoder ? "CAUSAL_LM" : nil
        switch options.method {
        case .none: break
        case .lora:
            if options.perTask {
                // One PEFT adapter folder per task (PEFT keeps one per adapter); the trunk stays unmerged.
                for t in model.tasks {
                    try PEFTLoRAFiles.writeConfiguration(
                        options.lora, baseModel: nil, taskType: taskType, directory: out + "/peft/" + t.name)
                    try PEFTLoRAFiles.writeWeights(of: trunk, task: t.name, directory: out + "/peft/" + t.name)
                }
                taskLoRA = options.lora
            } else {
                try PEFTLoRAFiles.writeConfiguration(
                    options.lora, baseModel: nil, taskType: taskType, directory: out + "/peft")
                try PEFTLoRAFiles.writeWeights(of: trunk, directory: out + "/peft")
                try trunk.mergeLoRA()
            }
        case .adapters:
            if options.perTask {
                // One AdapterHub folder per task, the adapter named after it (AdapterHub keeps one per folder).
                for t in model.tasks {
                    var config = options.adapters
                    config.name = t.name
                    let dir = out + "/adapters/" + t.name
                    try AdapterHubFiles.writeConfiguration(config, hiddenSize: trunk.hiddenSize, directory: dir)
                    try AdapterHubFiles.writeWeights(of: trunk, name: t.name, directory: dir)
                }
                taskAdapters = options.adapters
            } else {
                let dir = out + "/adapters/" + options.adapters.name
                try AdapterHubFiles.writeConfiguration(options.adapters, hiddenSize: trunk.hiddenSize, directory: dir)
                try AdapterHubFiles.writeWeights(of: trunk, directory: dir)
            }
        }
        try MultitaskArtifact.writeTrunk(trunk, baseConfig: trunkDirectory + "/config.json", directory: out)
        try MultitaskArtifact.write(
            model, extra: run.step.ownParameters,
            adapters: options.method == .adapters && !options.perTask ? options.adapters : nil, taskLoRA: taskLoRA,
            taskAdapters: taskAdapters, directory: out)
        if fm.fileExists(atPath: out + "/tokenizer.json") { try fm.removeItem(atPath: out + "/tokenizer.json") }
        try fm.copyItem(atPath: tokenizer, toPath: out + "/tokenizer.json")

        let state = run.loop.state
        func num(_ x: Double?) -> JSONValue { x.map { $0.isFinite ? .double(($0 * 1e4).rounded() / 1e4) : .null } ?? .null }
        let names = run.tasks.map(\.spec.name)
        let metricKey = Dictionary(uniqueKeysWithValues: run.tasks.map { ($0.spec.name, "\($0.spec.name)/\($0.options.metric.rawValue)") })
        let bestStep = state.values["best.step"].flatMap { Int(exactly: $0) }  // checked at resume
        let best = bestStep.flatMap { s in state.evaluations.last { $0.step == s } }
        func scores(_ e: TrainingState.Evaluation) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: names.map { ($0, num(e.metrics[metricKey[$0] ?? ""])) }))
        }
        func gates(_ e: TrainingState.Evaluation) -> JSONValue {
            guard model.experts != nil else { return .null }
            var out: [String: JSONValue] = [:]
            for n in names {
                let w = (0..<1024).map { e.metrics["gates/\(n)/\($0)"] }.prefix { $0 != nil }.compactMap { $0 }
                out[n] = .array(w.map { num($0) })
            }
            return .object(out)
        }
        // Conflict-monitor values are kept in the state as "conflict@<step>@<a>@<b>".
        let conflicts: [JSONValue] = state.values.keys.filter { $0.hasPrefix("conflict@") }.compactMap { key in
            let parts = key.split(separator: "@").map(String.init)
            guard parts.count == 4, let s = Int(parts[1]) else { return nil }
            return ["step": .int(s), "first": .string(parts[2]), "second": .string(parts[3]), "cosine": num(state.values[key])]
        }.sorted { ($0["step"]?.intValue ?? 0, $0["first"]?.stringValue ?? "", $0["second"]?.stringValue ?? "")
            < ($1["step"]?.intValue ?? 0, $1["first"]?.stringValue ?? "", $1["second"]?.stringValue ?? "") }
        let rate = state.seconds > 0 ? Double(state.tokens) / state.seconds : 0
        let metrics: JSONValue = [
            "tasks": .array(
                run.tasks.map { t in
                    [
                        "name": .string(t.spec.name), "input": .string(t.options.input), "kind": .string(t.options.kind.rawValue),
                        "metric": .string(t.options.metric.rawValue), "labels": .int(t.spec.labels),
                        "train_rows": .int(t.train.count), "validation_rows": .int(min(options.evalRows, t.heldOut.count)),
                        "sampling_probability": num(run.sampler.probabilities[t.batcher.task]),
                    ]
                }),
            "best_step": bestStep.map { .int($0) } ?? .null,
            "best_mean_score": num(state.values["best.mean_score"]),
            "best_scores": best.map(scores) ?? .null,
            "test_scores": testScores.map { t in .object(t.mapValues { num($0) }) } ?? .null,
            "test_mean_score": testScores.map { t in num(t.isEmpty ? nil : t.values.reduce(0, +) / Double(t.count)) } ?? .null,
            "gates": best.map(gates) ?? .null,
            "evaluations": .array(
                state.evaluations.map { e in
                    ["step": .int(e.step), "mean_score": num(e.metrics["mean_score"]), "scores": scores(e), "gates": gates(e)]
                }),
            "conflicts": .array(conflicts),
            "loss_weights": run.gradNorm.map { .array($0.weights.map { num($0) }) }
                ?? run.dwa.map { .array($0.weights.map { num($0) }) } ?? .null,
            "peft": .string(options.method.rawValue + (options.perTask ? "-per-task" : "")),
            "experts": model.experts.map { e in
                [
                    "shared": .int(e.configuration.sharedExperts), "per_task": .int(e.configuration.taskExperts),
                    "levels": .int(e.configuration.levels),
                ]
            } ?? .null,
            "parameters": .int(parameters), "trainable_parameters": .int(trainableCount), "trainable_share": num(share),
            "steps": .int(state.step), "stopped_early": .bool(state.stoppedEarly),
            "tokens": .int(state.tokens), "train_seconds": num(state.seconds), "tokens_per_second": num(rate.rounded()),
            "stage_wall_seconds_this_attempt": num(wallSeconds), "threads": .int(threads),
            "batch_size": .int(options.batchSize), "batches": .string(options.batches.rawValue),
            "resumed_from_step": run.resumedFrom.map { .int($0) } ?? .null,
        ]
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try (json.encode(metrics) + Data("\n".utf8)).write(to: URL(fileURLWithPath: out + "/metrics.json"))

        // curve.jsonl: the loop's curve with the step's task(s), recomputed from the seeded sampler.
        var curve = ""
        let line = JSONEncoder()
        line.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for p in state.curve {
            var drawn: [String] = []
            for k in run.stepTasks(p.step - 1) where !drawn.contains(names[k]) { drawn.append(names[k]) }
            let point: JSONValue = [
                "step": .int(p.step), "loss": .double(p.loss), "lr": .double(p.lr), "tokens": .int(p.tokens),
                "task": drawn.count == 1 ? .string(drawn[0]) : .array(drawn.map { .string($0) }),
            ]
            curve += String(decoding: try line.encode(point), as: UTF8.self) + "\n"
        }
        try curve.write(toFile: out + "/curve.jsonl", atomically: true, encoding: .utf8)
        run.context.log(
            "best mean validation score "
                + String(format: "%.4f", state.values["best.mean_score"] ?? .nan) + " at step \(bestStep ?? -1) ("
                + names.map { n in "\(n) " + String(format: "%.4f", best?.metrics[metricKey[n] ?? ""] ?? .nan) }
                .joined(separator: ", ") + String(format: "); %d steps, %.0f tokens/s, %.1f s", state.step, rate, state.seconds))
        return metrics
    }
}
