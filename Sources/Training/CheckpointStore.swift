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

extension CheckpointManifest {
    /// The largest step, epoch, offset or count a checkpoint may hold (2⁴⁸): far beyond any run, and far enough
    /// from `Int.max` that the loop's arithmetic on it (`step + 1`, `epoch + 1`, `offset + rows`) cannot overflow.
    public static let countLimit = 1 << 48
    /// The largest `manifest.json` read (its curve grows by a point per step: about 10 MB per 100k steps).
    public static let sizeLimit = 512 << 20

    /// Throws, naming `file` and the field, when a count of the manifest is negative or beyond ``countLimit``: a
    /// damaged or hostile manifest would otherwise trap later (a negative epoch seeds a permutation through
    /// `UInt64(_:)`, a negative offset indexes before the data).
    public func validate(file: String) throws {
        func check(_ value: Int, _ field: String) throws {
            guard (0...Self.countLimit).contains(value) else {
                throw TrainingError(
                    .checkpoint, file: file, message: "'\(field)' is \(value); expected a count in 0...\(Self.countLimit)",
                    hint: "the checkpoint is damaged: delete its folder to resume from an earlier one")
            }
        }
        try check(step, "step")
        try check(data.epoch, "data.epoch")
        try check(data.offset, "data.offset")
        try check(optimizerStep, "optimizerStep")
        for (name, s) in parameterSteps.sorted(by: { $0.key < $1.key }) { try check(s, "parameterSteps.\(name)") }
        try check(state.step, "state.step")
        try check(state.tokens, "state.tokens")
        try check(state.evaluationsSinceBest, "state.evaluationsSinceBest")
        for (i, p) in state.curve.enumerated() {
            try check(p.step, "state.curve[\(i)].step")
            try check(p.tokens, "state.curve[\(i)].tokens")
        }
        for (i, e) in state.evaluations.enumerated() { try check(e.step, "state.evaluations[\(i)].step") }
    }
}

extension TrainingState {
    /// `values[key]` as a whole number in `range` (nil when absent): for the positions and steps a stage keeps in
    /// the checkpointed values as Doubles. Throws, naming `file` (the checkpoint's manifest) and the field, on a
    /// value that is not finite, not whole or out of range, where a plain `Int(_:)` would trap.
    public func count(
        _ key: String, in range: ClosedRange<Int> = 0...CheckpointManifest.countLimit, file: String
    ) throws -> Int? {
        guard let v = values[key] else { return nil }
        guard let n = Int(exactly: v), range.contains(n) else {
            throw TrainingError(
                .checkpoint, file: file,
                message: "'state.values.\(key)' is \(v); expected a whole number in \(range.lowerBound)...\(range.upperBound)",
                hint: "the checkpoint is damaged: delete its folder to resume from an earlier one")
        }
        return n
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

    /// The manifest of the checkpoint at `step` (the file errors about a resumed state name).
    public func manifestPath(step: Int) -> String { directory + "/" + Self.folderName(step) + "/manifest.json" }

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
        let path = folder + "/manifest.json"
        guard let data = try ModelFile.read(path, maxBytes: CheckpointManifest.sizeLimit) else {
            throw TrainingError(.checkpoint, file: path, message: "no manifest")
        }
        let manifest = try JSONDecoder().decode(CheckpointManifest.self, from: data)
        guard manifest.format == CheckpointManifest.currentFormat else {
            throw TrainingError(.checkpoint, file: folder, message: "checkpoint format \(manifest.format)")
        }
        try manifest.validate(file: path)
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
        let shapes = Dictionary(model.namedParameters.map { ($0.name, $0.tensor.shape) }) { a, _ in a }
        for (name, step) in manifest.parameterSteps {
            // A moment of another shape than its parameter would be read and written past its end by the update.
            for key in ["m." + name, "v." + name] where moments.entries[key]?.shape != shapes[name] {
                throw TrainingError(
                    .checkpoint, file: moments.path,
                    message: "'\(key)' is missing or has shape \(moments.entries[key]?.shape ?? []), the parameter \(shapes[name] ?? [])")
            }
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
