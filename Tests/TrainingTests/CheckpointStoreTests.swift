import Foundation
import NN
import Tensor
import Testing

@testable import Training

@Suite struct CheckpointStoreTests {
    @Test func saveRestoreRoundTripsAndKeepsN() throws {
        let dir = try temporaryDirectory("ckpt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = CheckpointStore(directory: dir, keep: 2)
        let model = TinyBert.model()
        let optimizer = AdamW(groups: ParameterGroups(learningRate: 1e-2).apply(to: model))
        func step(_ s: Int) {
            model.zeroGrad()
            GradMode.withGrad { TinyBert.loss(model, rows: [s % 4], context: .inference).0.backward() }
            optimizer.update()
        }
        let schedule = LearningRateSchedule(kind: .linear, totalSteps: 10)
        var state = TrainingState()
        for s in 1...3 {
            step(s)
            state.step = s
            state.values["x"] = Double(s)
            try store.save(
                CheckpointManifest(
                    step: s, seed: 5, schedule: schedule, data: .init(epoch: 1, offset: s), optimizerStep: optimizer.step,
                    parameterSteps: optimizer.state.mapValues(\.step), state: state),
                model: model, optimizer: optimizer)
        }
        #expect(store.steps() == [2, 3])
        let saved = model.namedParameters.map(\.tensor.scalars)
        let moments = optimizer.state.mapValues(\.m.scalars)

        let other = TinyBert.model(seed: 99)
        let otherOptimizer = AdamW(groups: ParameterGroups(learningRate: 1e-2).apply(to: other))
        let manifest = try #require(store.restoreLatest(model: other, optimizer: otherOptimizer))
        #expect(manifest.step == 3 && manifest.data == .init(epoch: 1, offset: 3) && manifest.state.values["x"] == 3)
        #expect(other.namedParameters.map(\.tensor.scalars) == saved)
        #expect(otherOptimizer.state.mapValues(\.m.scalars) == moments)
        #expect(otherOptimizer.state.mapValues(\.step) == optimizer.state.mapValues(\.step))

        // A damaged newest checkpoint falls back to the previous one; an unfinished one is never listed.
        try Data("{".utf8).write(to: URL(fileURLWithPath: dir + "/step-00000003/manifest.json"))
        try FileManager.default.createDirectory(atPath: dir + "/.tmp-step-00000004", withIntermediateDirectories: true)
        var skipped: [String] = []
        let fallback = store.restoreLatest(model: other, optimizer: otherOptimizer) { folder, _ in skipped.append(folder) }
        #expect(fallback?.step == 2)
        #expect(skipped == [dir + "/step-00000003"])
    }
}
