import Datasets
import Foundation
import Metrics
import Models
import NN
import StageKit
import StageTraining
import Tensor
import Training

/// One task's data: its shards, batcher and validation metric.
struct TaskData {
    var options: MultitaskOptions.Task
    var spec: TaskSpec
    var artifact: CorpusArtifact
    var train: TokenShardReader
    var heldOut: TokenShardReader
    var batcher: TaskBatcher
}

/// The model and what trains in it: the multitask model plus the step's own parameters (uncertainty
/// log-variances), so that checkpoints hold both.
final class TrainableModel: Module {
    let model: MultitaskModel
    let extra: [(name: String, tensor: Tensor)]

    init(model: MultitaskModel, extra: [(name: String, tensor: Tensor)]) {
        self.model = model
        self.extra = extra
    }

    var ownParameters: [(name: String, tensor: Tensor)] { extra }
    var namedChildren: [(name: String, module: any Module)] { [("", model)] }
}

/// One multitask fine-tuning run: task sampling, the multitask step (loss weighting, PCGrad, DANN), the
/// conflict monitor, validation with the best weights kept, early stopping, and checkpoints/resume of every
/// piece of state (per-task data positions, DWA/GradNorm weights, best score) in the loop's checkpointed state.
final class MultitaskRun {
    let options: MultitaskOptions
    let context: StageContext
    let seed: UInt64
    let model: MultitaskModel
    let tasks: [TaskData]
    let domains: [(artifact: CorpusArtifact, shard: TokenShardReader)]
    let step: MultitaskStep
    let trainable: TrainableModel
    let sampler: TaskSampler
    let optimizer: AdamW
    let loop: TrainingLoop
    let monitor: GradientConflictMonitor?
    let scratch: String
    let events: StageTrainingEvents
    var orders: [DataOrder]
    var domainOrders: [DataOrder]
    var dwa: DynamicWeightAverage?
    var gradNorm: GradNorm?
    var resumedFrom: Int?

    var bestPath: String { scratch + "/best.safetensors" }

    init(
        options: MultitaskOptions, model: MultitaskModel, tasks: [TaskData],
        domains: [(artifact: CorpusArtifact, shard: TokenShardReader)], trainablePatterns: [String],
        seed: UInt64, scratch: String, context: StageContext
    ) throws {
        self.options = options
        self.model = model
        self.tasks = tasks
        self.domains = domains
        self.seed = seed
        self.scratch = scratch
        self.context = context
        events = StageTrainingEvents(context)
        let weighting: LossWeightingMethod =
            switch options.weighting {
            case .uncertainty: .uncertainty
            case .static: .fixed(tasks.map(\.options.weight))
            case .dwa, .gradnorm: .dynamic([Double](repeating: 1, count: tasks.count))
            }
        step = MultitaskStep(model: model, weighting: weighting, pcgrad: options.pcgrad, seed: seed)
        trainable = TrainableModel(model: model, extra: step.ownParameters)
        if options.weighting == .dwa {
            dwa = DynamicWeightAverage(tasks: tasks.count, temperature: options.dwaTemperature)
        }
        if options.weighting == .gradnorm {
            gradNorm = GradNorm(tasks: tasks.count, alpha: options.gradNormAlpha, learningRate: options.gradNormRate)
        }
        sampler = try TaskSampler(sizes: tasks.map(\.train.count), strategy: options.strategy, seed: seed)
        monitor =
            options.conflictEvery > 0 && tasks.count > 1
            ? GradientConflictMonitor(tasks: tasks.map(\.spec.name), every: options.conflictEvery) : nil
        orders = tasks.enumerated().map { k, t in
            DataOrder(
                lengths: (0..<t.train.count).map(t.train.length(at:)), seed: seed &+ UInt64(k) &* 0x9E37_79B9,
                batching: .rows(1))
        }
        domainOrders = domains.enumerated().map { k, d in
            DataOrder(
                lengths: (0..<d.shard.count).map(d.shard.length(at:)), seed: seed &+ UInt64(k + 101) &* 0x9E37_79B9,
                batching: .rows(1))
        }

        let head = options.headLearningRate
        var frozen: [String] = []
        if options.method == .none && options.freezeEmbeddings { frozen = model.trunk.embeddingPatterns }
        let rules = ParameterGroups(
            learningRate: options.learningRate, weightDecay: options.weightDecay, trainable: trainablePatterns,
            frozen: frozen,
            rateRules: ["heads.*", "cgc.*", "domain_classifier.*", "loss_weighting.*"].map { ($0, head) })
        optimizer = AdamW(groups: rules.apply(to: trainable))
        let schedule = LearningRateSchedule(
            kind: options.schedule, warmupSteps: Int((Double(options.steps) * options.warmupRatio).rounded()),
            totalSteps: options.steps)
        loop = TrainingLoop(
            plan: TrainingPlan(
                totalSteps: options.steps, checkpointEvery: options.checkpointEvery, evaluateEvery: options.evalEvery,
                clipNorm: options.clipNorm > 0 ? options.clipNorm : nil,
                earlyStopping: options.patience > 0
                    ? EarlyStopping(metric: "mean_score", patience: options.patience, lowerIsBetter: false) : nil),
            optimizer: optimizer, schedule: schedule, model: trainable,
            // Each task keeps its own data order; their positions are in the checkpointed state (below).
            data: DataOrder(lengths: [], seed: seed, batching: .rows(1)),
            store: CheckpointStore(directory: scratch + "/checkpoints", keep: options.keepCheckpoints), seed: seed,
            events: events)
    }

    // MARK: Training

    /// Trains to the end (or an early stop), then puts the best validated weights back in the model; throws
    /// ``TrainingStopped`` after checkpointing on a stop request.
    func train() throws {
        resumedFrom = try loop.resume()
        if let s = resumedFrom {
            try restoreState(manifest: loop.store.manifestPath(step: s))
            context.log("resuming from the checkpoint at step \(s)", level: .notice)
        } else {
            try? FileManager.default.removeItem(atPath: bestPath)
        }
        let m = trainable
        context.log(
            "\(m.parameterCount) parameters, \(m.trainableParameterCount) trainable "
                + String(format: "(%.2f%%)", 100 * m.trainableShare) + "; tasks "
                + tasks.map { "\($0.spec.name) (\($0.train.count) rows, p=\(String(format: "%.3f", sampler.probabilities[$0.batcher.task])))" }
                .joined(separator: ", ") + "; \(options.steps) steps of \(options.batchSize) rows")
        try loop.run(
            step: { _, s in try self.trainStep(s) },
            evaluate: { s in try self.evaluate(step: s) },
            shouldStop: { self.context.stopRequested })
        try restoreBest()
    }

    /// The tasks of step `s`'s rows (one task for single-task batches).
    func stepTasks(_ s: Int) -> [Int] { sampler.tasks(step: s, batches: options.batches, size: options.batchSize) }

    func trainStep(_ s: Int) throws -> StepOutcome {
        if let monitor, monitor.isDue(step: s) { try measureConflicts(step: s) }
        // The step's batches: for each task drawn, as many rows as slots it drew, from its own order.
        var counts = [Int](repeating: 0, count: tasks.count)
        for k in stepTasks(s) { counts[k] += 1 }
        var batches: [TaskBatch] = []
        for (k, n) in counts.enumerated() where n > 0 {
            let rows = (0..<n).flatMap { _ in orders[k].nextBatch() }
            batches.append(try tasks[k].batcher.batch(tasks[k].train, rows: rows))
            loop.setValue(Double(orders[k].position.epoch), for: "data.\(k).epoch")
            loop.setValue(Double(orders[k].position.offset), for: "data.\(k).offset")
        }
        var domainBatches: [(TaskBatch, [Int32])] = []
        if let adversarial = options.adversarial {
            let half = max(1, options.batchSize / 2)
            for (d, domain) in domains.enumerated() {
                let rows = (0..<half).flatMap { _ in domainOrders[d].nextBatch() }
                let batch = try TaskBatcher(task: 0, spec: Self.domainSpec, padID: tasks[0].batcher.padID)
                    .batch(domain.shard, rows: rows)
                domainBatches.append((batch, [Int32](repeating: Int32(d), count: rows.count)))
                loop.setValue(Double(domainOrders[d].position.epoch), for: "domain.\(d).epoch")
                loop.setValue(Double(domainOrders[d].position.offset), for: "domain.\(d).offset")
            }
            _ = adversarial
        }
        let lambda = options.adversarial.map {
            $0.schedule.coefficient(progress: Float(s) / Float(max(1, options.steps)))
        } ?? 0

        let runner: MultitaskStep
        if let gradNorm {
            runner = MultitaskStep(model: model, weighting: .dynamic(gradNorm.weights), pcgrad: options.pcgrad, seed: seed)
        } else if let dwa {
            runner = MultitaskStep(model: model, weighting: .dynamic(dwa.weights), pcgrad: options.pcgrad, seed: seed)
        } else {
            runner = step
        }
        let result = runner.run(
            batches, step: s, separateGradients: gradNorm != nil, domainBatches: domainBatches, lambda: lambda)

        for (b, loss) in zip(batches, result.losses) {
            context.metric("loss/\(tasks[b.task].spec.name)", loss, step: s + 1)
        }
        if var g = gradNorm, let grads = result.sharedGradients, batches.count == tasks.count {
            var norms = [Double](repeating: 0, count: tasks.count)
            var losses = [Double](repeating: 0, count: tasks.count)
            for (i, b) in batches.enumerated() {
                norms[b.task] = grads[i].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                losses[b.task] = result.losses[i]
            }
            g.update(gradientNorms: norms, losses: losses)
            gradNorm = g
            saveGradNorm()
        }
        if var d = dwa {
            for (b, loss) in zip(batches, result.losses) {
                loop.setValue((loop.state.values["dwa.sum.\(b.task)"] ?? 0) + loss, for: "dwa.sum.\(b.task)")
                loop.setValue((loop.state.values["dwa.count.\(b.task)"] ?? 0) + 1, for: "dwa.count.\(b.task)")
            }
            if (s + 1) % options.dwaWindow == 0 {
                let means = (0..<tasks.count).map { k -> Double in
                    let n = loop.state.values["dwa.count.\(k)"] ?? 0
                    return n > 0 ? (loop.state.values["dwa.sum.\(k)"] ?? 0) / n : (d.history.last?[k] ?? 1)
                }
                d.endEpoch(meanLosses: means)
                dwa = d
                for k in 0..<tasks.count {
                    loop.setValue(0, for: "dwa.sum.\(k)")
                    loop.setValue(0, for: "dwa.count.\(k)")
                }
                for (e, epoch) in d.history.enumerated() {
                    for (k, v) in epoch.enumerated() { loop.setValue(v, for: "dwa.history.\(e).\(k)") }
                }
                for (k, w) in d.weights.enumerated() { context.metric("weight/\(tasks[k].spec.name)", w, step: s + 1) }
            }
        }
        // The step's loss: the tasks' losses weighted by their rows.
        let rows = batches.map { Double($0.input.batch) }
        let loss = zip(result.losses, rows).reduce(0.0) { $0 + $1.0 * $1.1 } / max(1, rows.reduce(0, +))
        return StepOutcome(loss: loss, tokens: batches.reduce(0) { $0 + $1.tokens })
    }

    /// A domain batch's spec: labels are not read (the domain is the row's label).
    static let domainSpec = TaskSpec(name: "domain", kind: .sequenceClassification, labels: Int(Int32.max))

    /// The cosine of the tasks' trunk gradients on fixed probe batches (the first rows of each task's train
    /// split, no dropout), reported as `conflict/<a>/<b>` metrics and kept in the state.
    func measureConflicts(step s: Int) throws {
        guard let monitor else { return }
        var probes: [TaskBatch] = []
        for t in tasks {
            probes.append(try t.batcher.batch(t.train, rows: Array(0..<min(options.conflictRows, t.train.count))))
        }
        let grads = PCGrad.taskGradients(
            shared: model.sharedParameters,
            losses: probes.map { b in { self.model.loss(b, context: .inference).loss } })
        for (_, p) in trainable.namedParameters { p.zeroGrad() }
        for pair in monitor.measure(grads) {
            context.metric("conflict/\(pair.first)/\(pair.second)", pair.cosine, step: s)
            loop.setValue(pair.cosine, for: "conflict@\(s)@\(pair.first)@\(pair.second)")
        }
    }

    func saveGradNorm() {
        guard let g = gradNorm else { return }
        for (k, w) in g.weights.enumerated() { loop.setValue(w, for: "gradnorm.weight.\(k)") }
        for (k, l) in (g.initialLosses ?? []).enumerated() { loop.setValue(l, for: "gradnorm.initial.\(k)") }
    }

    /// Per-task data positions and the dynamic loss weights from the resumed state (read from `manifest`: its
    /// numbers are checked, a damaged one is a located error).
    func restoreState(manifest: String) throws {
        let state = loop.state
        let v = state.values
        for k in orders.indices {
            if let e = try state.count("data.\(k).epoch", file: manifest),
                let o = try state.count("data.\(k).offset", file: manifest)
            {
                orders[k].restore(DataPosition(epoch: e, offset: o))
            }
        }
        for d in domainOrders.indices {
            if let e = try state.count("domain.\(d).epoch", file: manifest),
                let o = try state.count("domain.\(d).offset", file: manifest)
            {
                domainOrders[d].restore(DataPosition(epoch: e, offset: o))
            }
        }
        _ = try state.count("best.step", file: manifest)
        if var d = dwa {
            for e in 0..<2 {
                let epoch = (0..<tasks.count).compactMap { v["dwa.history.\(e).\($0)"] }
                if epoch.count == tasks.count { d.endEpoch(meanLosses: epoch) }
            }
            dwa = d
        }
        if let g = gradNorm, v["gradnorm.weight.0"] != nil {
            let weights = (0..<tasks.count).map { v["gradnorm.weight.\($0)"] ?? 1 }
            let initial = (0..<tasks.count).compactMap { v["gradnorm.initial.\($0)"] }
            let json: [String: Any] = [
                "alpha": g.alpha, "learningRate": g.learningRate, "weights": weights,
                "initialLosses": initial.count == tasks.count ? initial : NSNull(),
            ]
            if let data = try? JSONSerialization.data(withJSONObject: json),
                let restored = try? JSONDecoder().decode(GradNorm.self, from: data)
            {
                gradNorm = restored
            }
        }
    }

    // MARK: Validation

    /// Each task's metric on the first `eval_rows` rows of its validation split, their mean, and the tasks'
    /// mean gate weights; a better mean saves the trained weights as the best.
    func evaluate(step s: Int) throws -> [String: Double] {
        var out: [String: Double] = [:]
        var scores: [Double] = []
        for t in tasks {
            let p = try MultitaskPredictions.compute(
                model: model, batcher: t.batcher, shard: t.heldOut, rows: options.evalRows,
                batchSize: options.batchSize, shouldStop: { self.context.stopRequested })
            let score = Self.score(p, metric: t.options.metric, classes: t.spec.labels)
            out["\(t.spec.name)/\(t.options.metric.rawValue)"] = score
            scores.append(score)
            for (e, w) in (p.meanGates ?? []).enumerated() { out["gates/\(t.spec.name)/\(e)"] = w }
        }
        let mean = scores.reduce(0, +) / Double(max(1, scores.count))
        out["mean_score"] = mean
        if mean > (loop.state.values["best.mean_score"] ?? -.infinity) {
            try saveBest()
            loop.setValue(mean, for: "best.mean_score")
            loop.setValue(Double(s), for: "best.step")
        }
        return out
    }

    /// Each task's score on its whole test split (tasks without one are left out), with the current weights.
    func testScores() throws -> [String: Double] {
        var out: [String: Double] = [:]
        for t in tasks {
            guard let test = t.artifact.splits["test"], test.count > 0 else { continue }
            let p = try GradMode.withoutGrad {
                try MultitaskPredictions.compute(
                    model: model, batcher: t.batcher, shard: test, rows: test.count, batchSize: options.batchSize,
                    shouldStop: { self.context.stopRequested })
            }
            out[t.spec.name] = Self.score(p, metric: t.options.metric, classes: t.spec.labels)
        }
        return out
    }

    /// A task's validation score; an undefined score (a constant prediction's correlation) counts as 0.
    static func score(_ p: MultitaskPredictions, metric: MultitaskOptions.Metric, classes: Int) -> Double {
        switch metric {
        case .pearson: return (try? Correlation.pearson(p.values, p.targets)) ?? 0
        case .spearman: return (try? Correlation.spearman(p.values, p.targets)) ?? 0
        case .accuracy, .macroF1, .mcc:
            let kept = p.gold.indices.filter { p.gold[$0] >= 0 }
            guard
                let s = try? ClassificationScores(
                    gold: kept.map { p.gold[$0] }, predicted: kept.map { p.predicted[$0] }, classCount: classes)
            else { return 0 }
            return metric == .accuracy ? s.accuracy : metric == .macroF1 ? s.macroF1 : s.mcc
        }
    }

    /// The trainable weights (frozen ones do not change) of the best evaluation, written atomically.
    func saveBest() throws {
        let weights = trainable.namedParameters.filter(\.tensor.requiresGrad)
        let tmp = bestPath + ".tmp"
        try SafeTensorsFile.write(weights, to: tmp)
        _ = try? FileManager.default.removeItem(atPath: bestPath)
        try FileManager.default.moveItem(atPath: tmp, toPath: bestPath)
    }

    func restoreBest() throws {
        guard FileManager.default.fileExists(atPath: bestPath) else { return }
        let file = try SafeTensorsFile(path: bestPath)
        for (name, t) in trainable.namedParameters where t.requiresGrad {
            guard file.entries[name]?.shape == t.shape else {
                throw TrainingError(.checkpoint, file: bestPath, message: "'\(name)' missing or of another shape")
            }
            let v = try file.tensor(name)
            withExtendedLifetime(v) { t.pointer.update(from: v.pointer, count: v.count) }
        }
    }
}
