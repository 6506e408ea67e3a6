import Foundation
import Models
import NN
import Tensor
import Testing

@testable import Training

/// The multitask pieces inside the shared training loop: sampler draws, dropout masks, PCGrad's shuffles and the
/// uncertainty weights all depend only on (seed, step, pass), so a run stopped and resumed from its checkpoint
/// ends bitwise equal to an uninterrupted one.
@Suite(.serialized) struct MultitaskResumeTests {
    /// The model plus the step's own parameters (uncertainty log-variances), so checkpoints hold both.
    final class Trained: Module {
        let model: MultitaskModel
        let step: MultitaskStep
        init(_ model: MultitaskModel, _ step: MultitaskStep) {
            self.model = model
            self.step = step
        }
        var ownParameters: [(name: String, tensor: Tensor)] { step.ownParameters }
        var namedChildren: [(name: String, module: any Module)] { [("", model)] }
    }

    final class Run {
        let trained: Trained
        let loop: TrainingLoop
        let sampler: TaskSampler
        let events = RecordingEvents()

        init(dir: String) throws {
            let model = try TinyMultitask.model(
                experts: .init(sharedExperts: 1, taskExperts: 1, expertHidden: 6, expertOutput: 6), domains: 2)
            trained = Trained(model, MultitaskStep(model: model, weighting: .uncertainty, pcgrad: true, seed: 21))
            sampler = try TaskSampler(sizes: [300, 40, 90], strategy: .temperature(2, cap: nil), seed: 21)
            let optimizer = AdamW(groups: ParameterGroups(learningRate: 5e-3).apply(to: trained))
            loop = TrainingLoop(
                plan: TrainingPlan(totalSteps: 6, checkpointEvery: 2),
                optimizer: optimizer, schedule: LearningRateSchedule(kind: .linear, warmupSteps: 1, totalSteps: 6),
                model: trained, data: DataOrder(lengths: [1], seed: 21, batching: .rows(1)),
                store: CheckpointStore(directory: dir), seed: 21, events: events)
        }

        func run(stopAfter: Int? = nil) throws {
            try loop.run(
                step: { _, s in
                    let tasks = Set(self.sampler.tasks(step: s, batches: .mixed, size: 3)).sorted()
                    let batches = tasks.map { TinyMultitask.batches[$0] }
                    let domain = (TinyMultitask.batches[0], [Int32](repeating: Int32(s % 2), count: 3))
                    let lambda = ReversalSchedule.dann().coefficient(progress: Float(s) / 6)
                    let r = self.trained.step.run(batches, step: s, domainBatches: [domain], lambda: lambda)
                    return StepOutcome(loss: r.losses.reduce(0, +), tokens: batches.reduce(0) { $0 + $1.tokens })
                },
                evaluate: { _ in [:] },
                shouldStop: { stopAfter.map { self.loop.state.step >= $0 } ?? false })
        }
    }

    @Test func aStoppedAndResumedMultitaskRunEndsBitwiseEqual() throws {
        let (d1, d2) = (try temporaryDirectory("mt-a"), try temporaryDirectory("mt-b"))
        defer { for d in [d1, d2] { try? FileManager.default.removeItem(atPath: d) } }
        let straight = try Run(dir: d1)
        try straight.run()
        let first = try Run(dir: d2)
        #expect(throws: TrainingStopped.self) { try first.run(stopAfter: 3) }
        let second = try Run(dir: d2)
        #expect(try second.loop.resume() == 3)
        try second.run()
        let a = straight.trained.namedParameters
        let b = second.trained.namedParameters
        #expect(a.map(\.name) == b.map(\.name))
        #expect(a.contains { $0.name == "loss_weighting.log_vars" })
        for (x, y) in zip(a, b) { #expect(x.tensor.scalars == y.tensor.scalars, "\(x.name)") }
        #expect(second.loop.state.curve.map(\.loss) == straight.loop.state.curve.map(\.loss))
        // The log-variances moved: the uncertainty weights trained and were restored from the checkpoint.
        #expect(straight.trained.step.uncertainty?.logVariances.scalars != [-0.5, -0.5, -0.5])
    }
}
