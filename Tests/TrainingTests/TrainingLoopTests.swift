import Foundation
import NN
import Tensor
import Testing

@testable import Training

/// The loop on the tiny BERT: an interrupted run resumed from its checkpoint ends bitwise equal to an
/// uninterrupted one; evaluation, checkpoint cadence and early stopping.
@Suite(.serialized) struct TrainingLoopTests {
    final class Run {
        let model = TinyBert.model()
        let optimizer: AdamW
        let loop: TrainingLoop
        let events = RecordingEvents()

        init(dir: String, steps: Int, early: EarlyStopping? = nil) {
            optimizer = AdamW(groups: ParameterGroups(learningRate: 5e-3).apply(to: model))
            loop = TrainingLoop(
                plan: TrainingPlan(totalSteps: steps, checkpointEvery: 2, evaluateEvery: 3, earlyStopping: early),
                optimizer: optimizer, schedule: LearningRateSchedule(kind: .linear, warmupSteps: 2, totalSteps: steps),
                model: model, data: DataOrder(lengths: [6, 6, 6, 6], seed: 11, batching: .rows(2)),
                store: CheckpointStore(directory: dir), seed: 11, events: events)
        }

        func run(stopAfter: Int? = nil, evalValue: ((Int) -> Double)? = nil) throws {
            try loop.run(
                step: { data, s in
                    let rows = data.nextBatch()
                    let (loss, n) = TinyBert.loss(
                        model, rows: rows, context: ForwardContext(training: true, seed: 11, step: UInt64(s)))
                    loss.backward()
                    return StepOutcome(loss: Double(loss.item), tokens: n)
                },
                evaluate: { s in ["eval_loss": evalValue?(s) ?? Double(s)] },
                shouldStop: { stopAfter.map { loop.state.step >= $0 } ?? false })
        }
    }

    @Test func aResumedRunEndsBitwiseEqual() throws {
        let (d1, d2) = (try temporaryDirectory("loop-a"), try temporaryDirectory("loop-b"))
        defer { for d in [d1, d2] { try? FileManager.default.removeItem(atPath: d) } }
        let straight = Run(dir: d1, steps: 7)
        try straight.run()
        #expect(straight.events.checkpoints == [2, 4, 6])
        #expect(straight.loop.state.evaluations.map(\.step) == [3, 6, 7])

        let first = Run(dir: d2, steps: 7)
        #expect(throws: TrainingStopped.self) { try first.run(stopAfter: 5) }
        #expect(first.events.checkpoints == [2, 4, 5])
        let second = Run(dir: d2, steps: 7)
        #expect(try second.loop.resume() == 5)
        try second.run()
        #expect(second.model.namedParameters.map(\.tensor.scalars) == straight.model.namedParameters.map(\.tensor.scalars))
        #expect(second.loop.state.curve == straight.loop.state.curve.map { var p = $0; p.lr = $0.lr; return p })
        #expect(second.loop.state.curve.map(\.loss) == straight.loop.state.curve.map(\.loss))
    }

    @Test func earlyStoppingEndsAfterPatience() throws {
        let dir = try temporaryDirectory("loop-early")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = Run(dir: dir, steps: 30, early: EarlyStopping(metric: "eval_loss", patience: 2))
        // Evaluations at 3, 6, 9, 12: values 5, 4, 4.5, 4.2 → best 4 at step 6, two without improvement → stop at 12.
        try run.run(evalValue: { [3: 5, 6: 4, 9: 4.5, 12: 4.2][$0] ?? 9 })
        #expect(run.loop.state.step == 12 && run.loop.state.stoppedEarly && run.loop.state.best == 4)
        #expect(run.events.logs.contains { $0.contains("early stop at step 12") })
    }
}
