import Foundation
import Models
import NN
import Tensor

/// The JSON manifest of a checkpoint (`manifest.json`; docs/checkpoints.md).
public struct CheckpointManifest: Codable, Hashable, Sendable {
    public static let currentFormat = 1
    public var format = CheckpointManifest.currentFormat
    /// Completed optimizer steps when it was saved.
    public var step: Int
    /// The seed of every random draw of the run (data order, masking, dropout): the RNG state, since the
    /// generators are counter-based and keyed by (seed, step).
    public var seed: UInt64
    public var schedule: LearningRateSchedule
    public var data: DataPosition
    /// The optimizer's update count and each parameter's own step.
    public var optimizerStep: Int
    public var parameterSteps: [String: Int]
    public var state: TrainingState

    public init(
        step: Int, seed: UInt64, schedule: LearningRateSchedule, data: DataPosition, optimizerStep: Int,
        parameterSteps: [String: Int], state: TrainingState
    ) {
        self.step = step
        self.seed = seed
        self.schedule = schedule
        self.data = data
        self.optimizerStep = optimizerStep
        self.parameterSteps = parameterSteps
        self.state = state
    }
}

/// Checkpoints in a stage's scratch folder: `step-<8 digits>/` holding `manifest.json`, `model.safetensors`
/// (parameters by name) and `optimizer.safetensors` (`m.<name>` and `v.<name>`).
///
/// A checkpoint is written into `.tmp-step-<n>/`, its files flushed to disk, then renamed into place, so a
/// crash leaves either the previous checkpoints or the new one complete; at most `keep` are kept (the newest).
/// ``latest()`` skips folders that do not load, so a damaged newest checkpoint falls back to the one before.
public struct CheckpointStore: Sendable {
    public let directory: String
    public let keep: Int

    public init(directory: String, keep: Int = 2) {
        self.directory = directory
        self.keep = max(1, keep)
    }

    static func folderName(_ step: Int) -> String { "step-" + String(format: "%08d", step) }

    /// Saves `model`'s parameters and `optimizer`'s state under `manifest.step`, then prunes old checkpoints.
    public func save(_ manifest: CheckpointManifest, model: any Module, optimizer: AdamW) throws {
        let fm = FileManager.default
        let final = directory + "/" + Self.folderName(manifest.step)
        let tmp = directory + "/.tmp-" + Self.folderName(manifest.step)
        do {
            try? fm.removeItem(atPath: tmp)
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            var seen = Set<ObjectIdentifier>()
            let weights = model.namedParameters.filter { seen.insert(ObjectIdentifier($0.tensor)).inserted }
            try SafeTensorsFile.write(weights, metadata: ["format": "pt"], to: tmp + "/model.safetensors")
            var moments: [(name: String, tensor: Tensor)] = []
            for (name, s) in optimizer.state {
                moments.append(("m." + name, s.m))
                moments.append(("v." + name, s.v))
            }
            try SafeTensorsFile.write(moments, to: tmp + "/optimizer.safetensors")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: tmp + "/manifest.json"))
            for file in ["model.safetensors", "optimizer.safetensors", "manifest.json"] { try Self.sync(tmp + "/" + file) }
            try? fm.removeItem(atPath: final)
            try fm.moveItem(atPath: tmp, toPath: final)
            try Self.sync(directory)
        } catch {
            throw TrainingError(.checkpoint, file: final, message: "cannot save the checkpoint: \(error)")
        }
        for old in steps().dropLast(keep) { try? fm.removeItem(atPath: directory + "/" + Self.folderName(old)) }
    }

    /// The steps of the complete checkpoints present, ascending.
    public func steps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("step-"), let n = Int(name.dropFirst(5)),
                FileManager.default.fileExists(atPath: directory + "/" + name + "/manifest.json")
            else { return nil }
            return n
        }.sorted()
    }

    /// The newest checkpoint that loads into `model` and `optimizer` (restoring both), or nil if there is none.
    /// Checkpoints that fail to load are skipped (and reported through `skipped`).
    public func restoreLatest(
        model: any Module, optimizer: AdamW, skipped: (String, any Error) -> Void = { _, _ in }
    ) -> CheckpointManifest? {
        for step in steps().reversed() {
            let folder = directory + "/" + Self.folderName(step)
            do {
                return try restore(folder: folder, model: model, optimizer: optimizer)
            } catch {
                skipped(folder, error)
            }
        }
        return nil
    }

    /// Loads one checkpoint folder into `model` and `optimizer`.
    public func restore(folder: String, model: any Module, optimizer: AdamW) throws -> CheckpointManifest {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        let manifest = try JSONDecoder().decode(CheckpointManifest.self, from: data)
        guard manifest.format == CheckpointManifest.currentFormat else {
            throw TrainingError(.checkpoint, file: folder, message: "checkpoint format \(manifest.format)")
        }
        let weights = try SafeTensorsFile(path: folder + "/model.safetensors")
        var seen = Set<ObjectIdentifier>()
        for (name, tensor) in model.namedParameters where seen.insert(ObjectIdentifier(tensor)).inserted {
            guard weights.entries[name]?.shape == tensor.shape else {
                throw TrainingError(.checkpoint, file: folder, message: "'\(name)' missing or of another shape")
            }
            let t = try weights.tensor(name)
            tensor.pointer.update(from: t.pointer, count: t.count)
        }
        let moments = try SafeTensorsFile(path: folder + "/optimizer.safetensors")
        var state: [String: AdamW.State] = [:]
        for (name, step) in manifest.parameterSteps {
            state[name] = AdamW.State(m: try moments.tensor("m." + name), v: try moments.tensor("v." + name), step: step)
        }
        let unknown = optimizer.restore(step: manifest.optimizerStep, state: state)
        guard unknown.isEmpty else {
            throw TrainingError(.checkpoint, file: folder, message: "optimizer state for unknown parameters \(unknown.prefix(3))")
        }
        return manifest
    }

    /// fsync of a file or folder, so a rename never publishes data still in the page cache only.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TrainingError(.checkpoint, file: path, message: "cannot open to sync") }
        defer { close(fd) }
        _ = fsync(fd)
    }
}
