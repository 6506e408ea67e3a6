import Foundation
import Models
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

    /// A checkpoint at step 1 of a tiny model, for the damaged-manifest cases.
    func savedCheckpoint(_ dir: String) throws -> (CheckpointStore, folder: String) {
        let store = CheckpointStore(directory: dir, keep: 2)
        let model = TinyBert.model()
        let optimizer = AdamW(groups: ParameterGroups(learningRate: 1e-2).apply(to: model))
        GradMode.withGrad { TinyBert.loss(model, rows: [1], context: .inference).0.backward() }
        optimizer.update()
        var state = TrainingState()
        state.step = 1
        try store.save(
            CheckpointManifest(
                step: 1, seed: 5, schedule: LearningRateSchedule(kind: .linear, totalSteps: 10),
                data: .init(epoch: 0, offset: 1), optimizerStep: 1, parameterSteps: optimizer.state.mapValues(\.step),
                state: state),
            model: model, optimizer: optimizer)
        return (store, dir + "/step-00000001")
    }

    /// A hostile manifest's counts (negative, huge) are refused naming the file and the field, before a data order
    /// is seeded from them (`UInt64(-3)` traps) or the loop adds to them.
    @Test(arguments: [
        (["data", "epoch"], -3), (["data", "offset"], -1), (["step"], Int.max), (["optimizerStep"], -1),
        (["state", "step"], 1 << 60), (["state", "tokens"], -7),
    ])
    func aManifestWithAnOutOfRangeCountIsALocatedError(field: [String], value: Int) throws {
        let dir = try temporaryDirectory("ckpt-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, folder) = try savedCheckpoint(dir)
        let path = folder + "/manifest.json"
        var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        if field.count == 1 {
            json[field[0]] = value
        } else {
            var inner = try #require(json[field[0]] as? [String: Any])
            inner[field[1]] = value
            json[field[0]] = inner
        }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        let model = TinyBert.model()
        let optimizer = AdamW(groups: ParameterGroups(learningRate: 1e-2).apply(to: model))
        let error = try #require(throws: TrainingError.self) { try store.restore(folder: folder, model: model, optimizer: optimizer) }
        #expect(error.file == path && error.message.contains("'\(field.joined(separator: "."))' is \(value)"), "\(error)")
        // Through the store's fallback, the damaged checkpoint is skipped (there is no earlier one).
        #expect(store.restoreLatest(model: model, optimizer: optimizer) == nil)
    }

    /// Optimizer moments of another shape than their parameter are refused (the update would run past them).
    @Test func momentsOfAnotherShapeAreRefused() throws {
        let dir = try temporaryDirectory("ckpt-moments")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, folder) = try savedCheckpoint(dir)
        let file = try SafeTensorsFile(path: folder + "/optimizer.safetensors")
        let shrunk = try file.names.map { name in (name: name, tensor: try file.tensor(name).count > 1 ? Tensor(zeros: [1]) : file.tensor(name)) }
        try SafeTensorsFile.write(shrunk, to: folder + "/optimizer.safetensors")
        let model = TinyBert.model()
        let optimizer = AdamW(groups: ParameterGroups(learningRate: 1e-2).apply(to: model))
        let error = try #require(throws: TrainingError.self) { try store.restore(folder: folder, model: model, optimizer: optimizer) }
        #expect(error.message.contains("has shape [1], the parameter"), "\(error)")
    }

    /// The stages' own checkpointed numbers (data positions kept as Doubles) convert checked, naming the field.
    @Test func stateValuesConvertCheckedWithTheField() throws {
        var state = TrainingState()
        state.values = ["a": 3, "huge": 1e300, "inf": .infinity, "nan": .nan, "half": 2.5, "negative": -1]
        #expect(try state.count("a", file: "m.json") == 3)
        #expect(try state.count("absent", file: "m.json") == nil)
        for key in ["huge", "inf", "nan", "half", "negative"] {
            let error = try #require(throws: TrainingError.self) { try state.count(key, file: "m.json") }
            #expect(error.file == "m.json" && error.message.hasPrefix("'state.values.\(key)' is "), "\(error)")
        }
    }
}
