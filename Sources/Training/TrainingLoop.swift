import Foundation
import NN
import Tensor

/// Where a training loop reports: the stage turns these into plugin-protocol events.
public protocol TrainingEvents: AnyObject {
    /// After each step: `step` of `total` done, with a one-line summary (loss, lr, tokens/s, ETA).
    func progress(step: Int, total: Int, message: String)
    func metric(_ name: String, _ value: Double, step: Int)
    func checkpointSaved(step: Int)
    func log(_ message: String)
}

/// Stop when an evaluation metric has not improved for `patience` evaluations.
public struct EarlyStopping: Codable, Hashable, Sendable {
    public var metric: String
    public var patience: Int
    public var minDelta: Double
    public var lowerIsBetter: Bool

    public init(metric: String, patience: Int, minDelta: Double = 0, lowerIsBetter: Bool = true) {
        self.metric = metric
        self.patience = max(1, patience)
        self.minDelta = minDelta
        self.lowerIsBetter = lowerIsBetter
    }
}

/// How long and how a run trains.
public struct TrainingPlan: Sendable {
    public var totalSteps: Int
    /// Checkpoint after every this many steps (0: only on a stop request).
    public var checkpointEvery: Int
    /// Evaluate after every this many steps and after the last (0: only after the last).
    public var evaluateEvery: Int
    /// Clip the global gradient norm to this (nil: no clipping).
    public var clipNorm: Float?
    public var earlyStopping: EarlyStopping?

    public init(
        totalSteps: Int, checkpointEvery: Int = 0, evaluateEvery: Int = 0, clipNorm: Float? = 1,
        earlyStopping: EarlyStopping? = nil
    ) {
        self.totalSteps = totalSteps
        self.checkpointEvery = checkpointEvery
        self.evaluateEvery = evaluateEvery
        self.clipNorm = clipNorm
        self.earlyStopping = earlyStopping
    }
}

/// What one step's forward and backward passes report.
public struct StepOutcome: Sendable {
    /// The step's mean loss over its targets.
    public var loss: Double
    /// Tokens of the step's batches (padding excluded).
    public var tokens: Int

    public init(loss: Double, tokens: Int) {
        self.loss = loss
        self.tokens = tokens
    }
}

/// Thrown by ``TrainingLoop/run(step:evaluate:shouldStop:)`` after it saved a checkpoint on a stop request.
public struct TrainingStopped: Error, Sendable {
    public init() {}
}

/// The loop every training stage shares: zero the gradients, let the stage run its passes, clip, update at the
/// scheduled rate; report progress; evaluate, stop early, checkpoint every N steps and on a stop request; and
/// resume from the newest checkpoint with the weights, moments, data position and state bitwise as saved.
public final class TrainingLoop {
    public let plan: TrainingPlan
    public let optimizer: AdamW
    public let schedule: LearningRateSchedule
    public let model: any Module
    public let store: CheckpointStore
    public let seed: UInt64
    public private(set) var state = TrainingState()
    public var data: DataOrder
    private weak var events: (any TrainingEvents)?

    public init(
        plan: TrainingPlan, optimizer: AdamW, schedule: LearningRateSchedule, model: any Module, data: DataOrder,
        store: CheckpointStore, seed: UInt64, events: any TrainingEvents
    ) {
        self.plan = plan
        self.optimizer = optimizer
        self.schedule = schedule
        self.model = model
        self.data = data
        self.store = store
        self.seed = seed
        self.events = events
    }

    /// Stage-specific numbers kept in the checkpointed state (e.g. a "before" perplexity measured once).
    public func setValue(_ value: Double, for key: String) { state.values[key] = value }

    /// Restores the newest usable checkpoint; returns its step, or nil when the run starts fresh. A checkpoint
    /// saved with another seed is an error: resuming it would mix two runs.
    @discardableResult
    public func resume() throws -> Int? {
        guard
            let manifest = store.restoreLatest(
                model: model, optimizer: optimizer,
                skipped: { [weak self] folder, error in self?.events?.log("skipping checkpoint \(folder): \(error)") })
        else { return nil }
        guard manifest.seed == seed else {
            throw TrainingError(
                .checkpoint, file: store.directory,
                message: "the checkpoint at step \(manifest.step) was made with seed \(manifest.seed), not \(seed)")
        }
        state = manifest.state
        data.restore(manifest.data)
        return manifest.step
    }

    /// Saves a checkpoint of the current step.
    public func checkpoint() throws {
        let manifest = CheckpointManifest(
            step: state.step, seed: seed, schedule: schedule, data: data.position, optimizerStep: optimizer.step,
            parameterSteps: optimizer.state.mapValues(\.step), state: state)
        try store.save(manifest, model: model, optimizer: optimizer)
        events?.checkpointSaved(step: state.step)
    }

    /// Trains from the current step to `plan.totalSteps` (or an early stop).
    ///
    /// `step(&data, s)` runs the forward and backward passes of step `s` (0-based), drawing its batches from
    /// `data`; `evaluate(s)` returns metrics after `s` steps; `shouldStop()` is polled after every step and, when
    /// true, the loop checkpoints and throws ``TrainingStopped``.
    public func run(
        step: (inout DataOrder, Int) throws -> StepOutcome, evaluate: (Int) throws -> [String: Double],
        shouldStop: () -> Bool
    ) throws {
        var attemptStart = Date()
        var attemptSteps = 0
        var attemptTokens = 0
        while state.step < plan.totalSteps && !state.stoppedEarly {
            let began = Date()
            for (_, p) in model.namedParameters { p.zeroGrad() }
            let outcome = try GradMode.withGrad { try step(&data, state.step) }
            if let clip = plan.clipNorm {
                let norm = clipGradientNorm(optimizer.groups.flatMap { $0.parameters.map(\.tensor) }, maxNorm: clip)
                if !norm.isFinite {
                    throw TrainingError(
                        .invalidInput, file: store.directory,
                        message: "the gradient norm is \(norm) at step \(state.step + 1): training diverged",
                        hint: "lower the learning rate")
                }
            }
            let factor = schedule.factor(at: state.step)
            optimizer.update(learningRateScale: factor)
            state.step += 1
            state.tokens += outcome.tokens
            let seconds = Date().timeIntervalSince(began)
            state.seconds += seconds
            state.stepSeconds.append(seconds)
            attemptSteps += 1
            attemptTokens += outcome.tokens
            let lr = Double((optimizer.groups.first?.learningRate ?? 0) * factor)
            state.curve.append(.init(step: state.step, loss: outcome.loss, lr: lr, tokens: state.tokens))
            let elapsed = Date().timeIntervalSince(attemptStart)
            let rate = elapsed > 0 ? Double(attemptTokens) / elapsed : 0
            let eta = attemptSteps > 0 ? elapsed / Double(attemptSteps) * Double(plan.totalSteps - state.step) : 0
            events?.progress(
                step: state.step, total: plan.totalSteps,
                message: String(
                    format: "loss %.4f, lr %.3g, %.0f tokens/s, ETA %.0f s", outcome.loss, lr, rate, eta))
            events?.metric("loss", outcome.loss, step: state.step)
            events?.metric("lr", lr, step: state.step)
            events?.metric("tokens_per_second", rate.rounded(), step: state.step)

            let last = state.step == plan.totalSteps
            if last || (plan.evaluateEvery > 0 && state.step % plan.evaluateEvery == 0) {
                let evalBegan = Date()
                let metrics = try GradMode.withoutGrad { try evaluate(state.step) }
                attemptStart = attemptStart.addingTimeInterval(Date().timeIntervalSince(evalBegan))
                record(metrics)
            }
            let stop = shouldStop()
            if stop || (plan.checkpointEvery > 0 && state.step % plan.checkpointEvery == 0 && !last) {
                let ckBegan = Date()
                try checkpoint()
                attemptStart = attemptStart.addingTimeInterval(Date().timeIntervalSince(ckBegan))
            }
            if stop { throw TrainingStopped() }
        }
    }

    /// Records an evaluation and applies the early-stopping rule.
    private func record(_ metrics: [String: Double]) {
        state.evaluations.append(.init(step: state.step, metrics: metrics))
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) { events?.metric(name, value, step: state.step) }
        guard let rule = plan.earlyStopping, let value = metrics[rule.metric] else { return }
        let improved = state.best.map { rule.lowerIsBetter ? value < $0 - rule.minDelta : value > $0 + rule.minDelta }
        if improved ?? true {
            state.best = value
            state.evaluationsSinceBest = 0
        } else {
            state.evaluationsSinceBest += 1
            if state.evaluationsSinceBest >= rule.patience {
                state.stoppedEarly = true
                events?.log(
                    "early stop at step \(state.step): \(rule.metric) has not improved on \(state.best ?? value) "
                        + "for \(rule.patience) evaluations")
            }
        }
    }
}
