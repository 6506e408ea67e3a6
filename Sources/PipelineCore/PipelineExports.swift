import Foundation

/// `STATE/exports/<pipeline>/`: what a user takes away from a pipeline's latest artifacts, as symbolic links into
/// the cache, each replaced atomically (a new link renamed over the old one), plus `exports.json` naming them:
///
///     exports/<pipeline>/stages/<stage>   → the stage's current artifact (its files folder)
///     exports/<pipeline>/report           → the artifact holding report.json (an evaluate stage's)
///     exports/<pipeline>/model            → the model that report evaluated (its `model` stage, or model.base
///                                           for `base`), else the only stage whose artifact has config.json +
///                                           model.safetensors
///     exports/<pipeline>/exports.json     → {pipeline, updated, stages: {stage: {key, path}}, report?, model?}
///
/// A reader follows a link and sees one whole artifact: artifacts are immutable and links are swapped by
/// rename. The cache keeps what a pipeline's index references, so the links do not dangle until the stage is
/// removed from the pipeline (`cache gc`).
public struct PipelineExports: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var key: String
        public var path: String
    }

    public var pipeline: String
    public var updated: String
    public var stages: [String: Entry]
    /// The export's own paths (…/exports/<pipeline>/report, …/model) when they exist.
    public var report: String?
    public var model: String?

    public static func directory(state: String, pipeline: String) -> String { "\(state)/exports/\(pipeline)" }

    /// The exports of `pipeline`, or nil when it has none (or they are unreadable).
    public static func load(state: String, pipeline: String) -> PipelineExports? {
        let path = directory(state: state, pipeline: pipeline) + "/exports.json"
        guard let data = FileManager.default.contents(atPath: path), data.count < 16 << 20 else { return nil }
        return try? JSONDecoder().decode(PipelineExports.self, from: data)
    }

    /// Points the exports of `index`'s pipeline at its current artifacts.
    /// `modelBase` is the pipeline's `model.base`: the model linked when the report evaluated `base`.
    static func update(state: String, index: PipelineIndex, store: ArtifactStore, modelBase: String?) throws {
        let fm = FileManager.default
        let dir = directory(state: state, pipeline: index.pipeline)
        try fm.createDirectory(atPath: dir + "/stages", withIntermediateDirectories: true)
        var stages: [String: Entry] = [:]
        for (stage, key) in index.stages.sorted(by: { $0.key < $1.key }) {
            guard let artifact = store.lookup(key) else { continue }
            stages[stage] = Entry(key: key, path: artifact.filesDirectory)
            try link(dir + "/stages/" + stage, to: artifact.filesDirectory)
        }
        for old in (try? fm.contentsOfDirectory(atPath: dir + "/stages")) ?? [] where stages[old] == nil {
            try? fm.removeItem(atPath: dir + "/stages/" + old)
        }
        // The report: the (first, by stage name) artifact with report.json; the model: the stage it names.
        func has(_ stage: String, _ file: String) -> Bool {
            fm.fileExists(atPath: (stages[stage]?.path ?? "") + "/" + file)
        }
        let withReport = stages.keys.sorted().filter { has($0, "report.json") }
        var reportPath: String?
        var modelStage: String?
        var modelTarget: String?
        if let stage = withReport.first, let entry = stages[stage] {
            try link(dir + "/report", to: entry.path)
            reportPath = dir + "/report"
            if let bytes = try? BoundedFile.read(entry.path + "/report.json", maxBytes: 64 << 20, followSymlinks: true),
                let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
                let model = object["model"] as? String
            {
                if stages[model] != nil { modelStage = model }
                if model == "base", let modelBase { modelTarget = modelBase }
            }
        } else {
            try? fm.removeItem(atPath: dir + "/report")
        }
        if modelStage == nil, modelTarget == nil {
            let withModel = stages.keys.sorted().filter { has($0, "config.json") && has($0, "model.safetensors") }
            if withModel.count == 1 { modelStage = withModel[0] }
        }
        var modelPath: String?
        if let target = modelStage.flatMap({ stages[$0]?.path }) ?? modelTarget {
            try link(dir + "/model", to: target)
            modelPath = dir + "/model"
        } else {
            try? fm.removeItem(atPath: dir + "/model")
        }
        let exports = PipelineExports(
            pipeline: index.pipeline, updated: index.updated, stages: stages, report: reportPath, model: modelPath)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(exports), to: dir + "/exports.json")
    }

    /// Makes `path` a symbolic link to `target`, replacing what is there in one rename.
    static func link(_ path: String, to target: String) throws {
        if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: path), existing == target {
            return
        }
        let temp = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        guard symlink(target, temp) == 0 else {
            throw EngineError("cannot create the link '\(temp)': \(String(cString: strerror(errno)))")
        }
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw EngineError("cannot rename '\(temp)' to '\(path)': \(reason)")
        }
    }
}
