import Datasets
import Foundation
import Models
import NN
import StageKit
import StageTraining
import Tensor
import Training

/// One domain-pretraining run: the head warm-up (a created MLM head trains alone, trunk frozen), the "before"
/// perplexities, the training proper, and the "after" numbers, resumable from checkpoints at any step.
final class PretrainRun {
    let options: DomainPretrainOptions
    let model: LanguageModel
    let corpus: CorpusArtifact
    /// The corpus's train split (the plugin checked it exists and is not empty).
    let trainSplit: TokenShardReader
    let general: CorpusArtifact?
    let data: LMBatchBuilder
    let seed: UInt64
    let scratch: String
    let context: StageContext
    let events: StageTrainingEvents
    let rules: ParameterGroups
    let optimizer: AdamW
    let loop: TrainingLoop
    /// Steps that train only the created head (0 when the checkpoint had a head or for a decoder).
    let headWarmup: Int
    /// The pass in progress, for LoRA's dropout (nil without LoRA).
    let loraContext: ContextSource?
    var resumedFrom: Int?

    init(
        options: DomainPretrainOptions, model: LanguageModel, corpus: CorpusArtifact, trainSplit: TokenShardReader,
        general: CorpusArtifact?,
        data: LMBatchBuilder, seed: UInt64, scratch: String, context: StageContext, loraContext: ContextSource? = nil
    ) {
        self.options = options
        self.model = model
        self.corpus = corpus
        self.trainSplit = trainSplit
        self.general = general
        self.data = data
        self.seed = seed
        self.scratch = scratch
        self.context = context
        self.loraContext = loraContext
        events = StageTrainingEvents(context)
        if case .masked(_, true) = model { headWarmup = options.headWarmupSteps } else { headWarmup = 0 }

        var trainable: [String] = []
        var frozen: [String] = []
        switch options.trainable {
        case .all where options.lora != nil: trainable = ["*.lora_*"]
        case .all: break
        case .lastLayers:
            let n = min(options.lastLayers, model.layerCount)
            trainable = (model.layerCount - n..<model.layerCount).map(model.layerPattern) + model.headPatterns
                + model.finalPatterns
        case .frozenEmbeddings: frozen = model.embeddingPatterns
        }
        rules = ParameterGroups(
            learningRate: options.learningRate, weightDecay: options.weightDecay, trainable: trainable, frozen: frozen)
        optimizer = AdamW(groups: rules.apply(to: model.module))
        let order = DataOrder(
            lengths: (0..<trainSplit.count).map(trainSplit.length(at:)), seed: seed, batching: .rows(options.batchSize))
        let schedule = LearningRateSchedule(
            kind: options.schedule, warmupSteps: Int((Double(options.steps) * options.warmupRatio).rounded()),
            totalSteps: options.steps, startStep: headWarmup)
        loop = TrainingLoop(
            plan: TrainingPlan(
                totalSteps: headWarmup + options.steps, checkpointEvery: options.checkpointEvery,
                evaluateEvery: options.evalEvery, clipNorm: options.clipNorm > 0 ? options.clipNorm : nil,
                earlyStopping: options.patience > 0 ? EarlyStopping(metric: "perplexity", patience: options.patience) : nil),
            optimizer: optimizer, schedule: schedule, model: model.module, data: order,
            store: CheckpointStore(directory: scratch + "/checkpoints", keep: options.keepCheckpoints), seed: seed,
            events: events)
    }

    /// Trains to the end (or an early stop); throws ``TrainingStopped`` after checkpointing on a stop request.
    func train() throws {
        resumedFrom = try loop.resume()
        if let step = resumedFrom { context.log("resuming from the checkpoint at step \(step)", level: .notice) }
        let m = model.module
        context.log(
            "\(m.parameterCount) parameters, \(m.trainableParameterCount) trainable after the head warm-up; "
                + "\(headWarmup) head warm-up steps, \(options.steps) training steps of \(options.accumulate) × "
                + "\(options.batchSize) rows; \(trainSplit.count) training rows")
        if headWarmup == 0, loop.state.values["before.perplexity"] == nil { try measureBefore() }
        let train = trainSplit
        try loop.run(
            step: { order, s in
                if s < self.headWarmup {
                    // Only the created head trains: the trunk (and the tied decoder) are frozen, so backward stops
                    // at the head and no trunk gradient, weight-gradient GEMM included, is computed.
                    m.setRequiresGrad(false, matching: ["*"])
                    m.setRequiresGrad(true, matching: self.model.headPatterns)
                    for i in self.optimizer.groups.indices { self.optimizer.groups[i].learningRate = self.options.headLearningRate }
                } else {
                    if s == self.headWarmup && s > 0 {
                        self.rules.applyRequiresGrad(to: m)
                        for i in self.optimizer.groups.indices { self.optimizer.groups[i].learningRate = self.options.learningRate }
                        if self.loop.state.values["before.perplexity"] == nil {
                            self.loop.setValue(Double(self.loop.state.tokens), for: "warmup.tokens")
                            self.loop.setValue(self.loop.state.seconds, for: "warmup.seconds")
                            try GradMode.withoutGrad { try self.measureBefore() }
                        }
                    }
                    self.rules.applyRequiresGrad(to: m)
                    for i in self.optimizer.groups.indices { self.optimizer.groups[i].learningRate = self.options.learningRate }
                }
                var batches: [LMBatch] = []
                for pass in 0..<self.options.accumulate {
                    let rows = order.nextBatch()
                    batches.append(
                        self.data.batch(
                            train, rows: rows, keys: Array(rows.indices), rng: self.data.trainingRNG(step: s, pass: pass)))
                }
                let weights = GradientAccumulation.weights(targetCounts: batches.map(\.targetCount))
                var lossSum: Double = 0
                for (pass, (b, w)) in zip(batches, weights).enumerated() {
                    let ctx = ForwardContext(training: true, seed: self.seed, step: UInt64(s), pass: UInt64(pass))
                    self.loraContext?.current = ctx
                    defer { self.loraContext?.current = .inference }
                    let (loss, _) = self.model.loss(b, context: ctx)
                    lossSum += Double(loss.item) * Double(w)
                    GradientAccumulation.backward(loss, weight: w)
                }
                return StepOutcome(loss: lossSum, tokens: batches.reduce(0) { $0 + $1.tokens })
            },
            evaluate: { _ in ["perplexity": try self.perplexity(self.corpus).perplexity] },
            shouldStop: { self.context.stopRequested })
    }

    /// Held-out perplexities before training (after the head warm-up), kept in the checkpointed state.
    func measureBefore() throws {
        try saveBeforeHead()
        let domain = try perplexity(corpus)
        loop.setValue(domain.perplexity, for: "before.perplexity")
        context.metric("perplexity_before", domain.perplexity, step: loop.state.step)
        if let general {
            let g = try perplexity(general)
            loop.setValue(g.perplexity, for: "before.general_perplexity")
            context.metric("general_perplexity_before", g.perplexity, step: loop.state.step)
        }
        context.log(
            String(format: "before: held-out perplexity %.3f", domain.perplexity)
                + (loop.state.values["before.general_perplexity"].map { String(format: ", general %.3f", $0) } ?? ""))
    }

    /// exp(mean loss) over the first `eval_rows` rows of the artifact's held-out split, with fixed masks (MLM),
    /// no dropout; and the number of predicted tokens.
    func perplexity(_ artifact: CorpusArtifact) throws -> (perplexity: Double, tokens: Int) {
        guard let shard = artifact.heldOut else { return (.nan, 0) }
        let rows = try HeldOutPerplexity.rowLosses(
            model: model, builder: data, shard: shard, rows: options.evalRows, batchSize: options.batchSize,
            shouldStop: { self.context.stopRequested })
        return HeldOutPerplexity.perplexity(rows)
    }

    /// The created head as it is when the "before" perplexities are measured (after its warm-up, trunk = the base
    /// model's), so that the evaluate stage can score the base model with the same head: `cls.predictions.*`
    /// tensors under HF names (the decoder is the base's tied word embedding, not stored).
    var beforeHeadPath: String { scratch + "/" + Self.beforeHeadFile }
    static let beforeHeadFile = "before-head.safetensors"

    func saveBeforeHead() throws {
        guard case .masked(let m, true) = model else { return }
        let tensors = m.namedParameters.filter { $0.name.hasPrefix("cls.") }
        try SafeTensorsFile.write(tensors, metadata: ["format": "pt"], to: beforeHeadPath)
    }

    /// The "after" numbers, metrics.json and curve.jsonl; returns the result summary.
    func finish(outputDir: String, wallSeconds: Double, threads: Int) throws -> JSONValue {
        let state = loop.state
        let recorded = state.evaluations.last.flatMap { $0.step == state.step ? $0.metrics["perplexity"] : nil }
        let after = try recorded ?? perplexity(corpus).perplexity
        let generalAfter = try general.map { try perplexity($0).perplexity }
        context.metric("perplexity_after", after, step: state.step)
        if let generalAfter { context.metric("general_perplexity_after", generalAfter, step: state.step) }
        let warmTokens = state.values["warmup.tokens"] ?? 0
        let warmSeconds = state.values["warmup.seconds"] ?? 0
        let mainSeconds = state.seconds - warmSeconds
        let mainRate = mainSeconds > 0 ? (Double(state.tokens) - warmTokens) / mainSeconds : 0
        // Median tokens/s of the head warm-up steps (trunk frozen) and of the training proper, per step.
        func medianRate(_ range: Range<Int>) -> Double? {
            let rates = range.compactMap { i -> Double? in
                guard i < state.stepSeconds.count, i < state.curve.count, state.stepSeconds[i] > 0 else { return nil }
                let tokens = state.curve[i].tokens - (i > 0 ? state.curve[i - 1].tokens : 0)
                return Double(tokens) / state.stepSeconds[i]
            }.sorted()
            return rates.isEmpty ? nil : rates[rates.count / 2]
        }
        func num(_ x: Double?) -> JSONValue { x.map { $0.isFinite ? .double(($0 * 1e4).rounded() / 1e4) : .null } ?? .null }
        let objective = model.isCausal ? "clm" : "mlm"
        var createdHead = false
        if case .masked(_, let created) = model { createdHead = created }
        let metrics: JSONValue = [
            "objective": .string(objective),
            "corpus": .string(corpus.input), "general": general.map { .string($0.input) } ?? .null,
            "created_head": .bool(createdHead), "head_warmup_steps": .int(headWarmup),
            "steps": .int(state.step - headWarmup), "total_steps": .int(state.step),
            "stopped_early": .bool(state.stoppedEarly),
            "tokens": .int(state.tokens), "train_seconds": num(state.seconds),
            "tokens_per_second": num(mainRate.rounded()),
            "tokens_per_second_median": [
                "head_warmup": num(medianRate(0..<headWarmup)?.rounded()),
                "training": num(medianRate(headWarmup..<state.step)?.rounded()),
            ],
            "stage_wall_seconds_this_attempt": num(wallSeconds),
            "perplexity": ["before": num(state.values["before.perplexity"]), "after": num(after)],
            "general_perplexity": [
                "before": num(state.values["before.general_perplexity"]), "after": num(generalAfter),
            ],
            "evaluations": .array(
                state.evaluations.map { e in
                    ["step": .int(e.step), "perplexity": num(e.metrics["perplexity"])]
                }),
            "parameters": .int(model.module.parameterCount),
            "trainable_parameters": .int(model.module.trainableParameterCount),
            "batch_size": .int(options.batchSize), "accumulate": .int(options.accumulate),
            "lr": .double(Double(options.learningRate)), "threads": .int(threads),
            "lora": options.lora.map { l in
                [
                    "rank": .int(l.rank), "alpha": .double(Double(l.alpha)),
                    "target_modules": .array(l.targetModules.map { .string($0) }),
                ]
            } ?? .null,
            "resumed_from_step": resumedFrom.map { .int($0) } ?? .null,
        ]
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if FileManager.default.fileExists(atPath: beforeHeadPath) {
            try FileManager.default.copyItem(atPath: beforeHeadPath, toPath: outputDir + "/" + Self.beforeHeadFile)
        }
        try (json.encode(metrics) + Data("\n".utf8)).write(to: URL(fileURLWithPath: outputDir + "/metrics.json"))
        var curve = ""
        let line = JSONEncoder()
        line.outputFormatting = [.sortedKeys]
        for p in state.curve { curve += String(decoding: try line.encode(p), as: UTF8.self) + "\n" }
        try curve.write(toFile: outputDir + "/curve.jsonl", atomically: true, encoding: .utf8)
        context.log(
            String(
                format: "perplexity %.3f → %.3f%@ after %d steps (%d tokens, %.1f s training, %.0f tokens/s)",
                state.values["before.perplexity"] ?? .nan, after,
                generalAfter.map { String(format: "; general %.3f → %.3f", state.values["before.general_perplexity"] ?? .nan, $0) } ?? "",
                state.step, state.tokens, state.seconds, mainRate))
        return metrics
    }
}
