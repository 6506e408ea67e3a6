import COpenat2
import Foundation
import StageKit

#if canImport(Glibc)
    import Glibc
#endif

/// Runs validated pipelines over the content-addressed cache: decides what is stale, runs what must run
/// (independent stages concurrently), and records everything under the state directory.
public final class Engine: Sendable {
    /// Version of the cache-key recipe; bumping it invalidates every artifact.
    public static let keyFormat = 1

    public let stateDirectory: String
    public let store: ArtifactStore
    public let digester: FileDigester
    public let runner: any StageRunner
    /// Stages running at once.
    public let jobs: Int
    /// Threads each stage may use.
    public let threadsPerStage: Int
    /// How stage inputs are opened below their data roots (``BeneathOpen/Method``; tests force the fallback).
    public let openMethod: BeneathOpen.Method

    public init(
        stateDirectory: String, runner: any StageRunner = SubprocessStageRunner(), jobs: Int = 2,
        threadsPerStage: Int = 1, openMethod: BeneathOpen.Method = .automatic
    ) throws {
        Engine.raiseOpenFileLimit()
        self.openMethod = openMethod
        let absolute = URL(fileURLWithPath: stateDirectory).standardizedFileURL.path
        self.stateDirectory = absolute
        self.store = try ArtifactStore(stateDirectory: absolute)
        self.digester = FileDigester(memoPath: absolute + "/cache/digests.json")
        self.runner = runner
        self.jobs = max(1, jobs)
        self.threadsPerStage = max(1, threadsPerStage)
    }

    /// Stages hold one descriptor per input file while they run: the soft open-file limit goes up to the hard
    /// one (nothing here uses select(2)), as systemd advises for such programs.
    static func raiseOpenFileLimit() { _ = copenat2_raise_open_file_limit() }

    /// Discovers plugins with this engine's runner and digest memo.
    public func discoverPlugins(directories: [String]) async -> PluginRegistry {
        let registry = await PluginRegistry.discover(
            directories: directories, digester: digester, runner: runner,
            cachePath: stateDirectory + "/cache/plugins.json")
        digester.save()
        return registry
    }

    // MARK: Keys

    /// Everything a stage's output depends on, as canonical JSON (docs/cache.md). Paths, log levels and thread
    /// counts are deliberately absent: moving a pipeline or changing `--jobs` does not invalidate anything.
    ///
    /// With `opened` (a run), every file is hashed from the descriptor the engine opened below its data root,
    /// and the model folder's files are those it opened; without (plan, explain), by path.
    public func keyInputs(
        of stage: ValidatedPipeline.Stage, in pipeline: ValidatedPipeline, upstream: [String: String],
        opened: StageInputs? = nil
    ) throws -> JSONValue {
        func digest(_ file: String) throws -> String {
            try digester.digest(ofFile: file, descriptor: opened?.descriptor(for: file))
        }
        var data: [String: JSONValue] = [:]
        for name in stage.data {
            guard let input = pipeline.data[name] else { continue }
            let base = pipeline.dataBase[name] ?? "/"
            var files: [String: JSONValue] = [:]
            for file in input.files {
                files[Engine.keyName(ofDataFile: file, base: base)] = .string(try digest(file))
            }
            var fields: [String: JSONValue] = [:]
            for (k, v) in input.fields { fields[k] = .string(v) }
            data[name] = .object([
                "format": .string(input.format), "fields": .object(fields), "on_error": .string(input.onError),
                "files": .object(files),
            ])
        }
        var model: JSONValue = .null
        if let base = pipeline.modelBase, !stage.plugin.description.modelFiles.isEmpty {
            var files: [String: JSONValue] = [:]
            if let opened = opened?.model {
                for file in opened { files[file.name] = .string(try digest(file.path)) }
            } else {
                for relative in try ArtifactStore.listFiles(in: base)
                where stage.plugin.description.modelFiles.contains(where: { fnmatch($0, relative, 0) == 0 }) {
                    files[relative] = .string(try digest(base + "/" + relative))
                }
            }
            model = .object(files)
        }
        // A `path` parameter enters the key by the content of its files, relative to it — never as a path.
        var params = stage.params
        for path in stage.paths {
            var files: [String: JSONValue] = [:]
            for file in path.files {
                files[Engine.keyName(ofPathFile: file, in: path.resolved)] = .string(try digest(file))
            }
            params = params.replacing(at: path.parameter, with: .object(["files": .object(files)]))
        }
        let plugin = stage.plugin
        return .object([
            "format": .int(Engine.keyFormat),
            "plugin": .object([
                "name": .string(plugin.description.name), "version": .string(plugin.description.version),
                "digest": .string(plugin.digest), "protocol": .int(plugin.description.protocolVersion),
            ]),
            "params": params,
            "upstream": .object(upstream.mapValues { .string($0) }),
            "data": .object(data),
            "model": model,
            "seed": .int(pipeline.spec.seed),
        ])
    }

    public static func key(of inputs: JSONValue) -> String { sha256Hex(inputs.canonicalJSON) }

    /// A data file's name in the key (and in a plugin's view of its inputs): relative to the input's base.
    /// Never an absolute path: a file outside the base (not produced by the resolver) is named by its name.
    static func keyName(ofDataFile file: String, base: String) -> String {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : (file as NSString).lastPathComponent
    }

    /// A `path` parameter's file's name in the key: relative to the resolved folder (its own name for a file).
    static func keyName(ofPathFile file: String, in resolved: String) -> String {
        let real = DataResolver.realPath(file) ?? file
        let prefix = resolved.hasSuffix("/") ? resolved : resolved + "/"
        if real == resolved { return (real as NSString).lastPathComponent }
        return real.hasPrefix(prefix) ? String(real.dropFirst(prefix.count)) : (real as NSString).lastPathComponent
    }

    // MARK: Plan

    /// What a run would do for one stage.
    public struct PlanEntry: Sendable, Codable {
        public enum State: String, Sendable, Codable {
            /// The artifact for the stage's current key exists.
            case cached
            /// It will run.
            case stale
            /// Its key depends on an upstream stage that will run (it may still be cut off if that stage
            /// reproduces identical bytes).
            case blocked
        }
        public var stage: String
        public var plugin: String
        public var state: State
        public var key: String?
        /// Why it is stale: one line per changed key field, or a sentence.
        public var reasons: [String]
    }

    /// Decides, without running anything, which stages are cached and why the others are stale.
    public func plan(_ pipeline: ValidatedPipeline) throws -> [PlanEntry] {
        var digests: [String: String] = [:]
        var entries: [PlanEntry] = []
        let index = PipelineIndex.load(state: stateDirectory, pipeline: pipeline.name)
        for stage in pipeline.stages.values {
            let pending = stage.after.filter { digests[$0] == nil }
            if !pending.isEmpty {
                entries.append(
                    PlanEntry(
                        stage: stage.name, plugin: stage.plugin.description.name, state: .blocked, key: nil,
                        reasons: ["waits for \(pending.map { "'\($0)'" }.joined(separator: ", ")), which will run"]))
                continue
            }
            let inputs = try keyInputs(of: stage, in: pipeline, upstream: digests.filter { stage.after.contains($0.key) })
            let key = Engine.key(of: inputs)
            if let artifact = store.lookup(key) {
                digests[stage.name] = artifact.manifest.outputDigest
                entries.append(PlanEntry(stage: stage.name, plugin: stage.plugin.description.name, state: .cached, key: key, reasons: []))
            } else {
                var reasons = ["never run"]
                if let previousKey = index?.stages[stage.name], let previous = store.lookup(previousKey) {
                    reasons = KeyDiff.changes(from: previous.manifest.keyInputs, to: inputs).map(\.description)
                    if reasons.isEmpty { reasons = ["the previous artifact was produced from other inputs"] }
                } else if index?.stages[stage.name] != nil {
                    reasons = ["its previous artifact is no longer in the cache"]
                }
                entries.append(PlanEntry(stage: stage.name, plugin: stage.plugin.description.name, state: .stale, key: key, reasons: reasons))
            }
        }
        digester.save()
        return entries
    }

    /// Field-by-field differences between a stage's current key inputs and those of its latest artifact.
    public func explain(_ pipeline: ValidatedPipeline, stage name: String) throws -> Explanation {
        guard let stage = pipeline.stages[name] else {
            throw EngineError(
                "pipeline '\(pipeline.name)' has no stage '\(name)'",
                hint: PipelineValidator.suggestion(name, Array(pipeline.stages.keys), noun: "stages"))
        }
        var upstream: [String: String] = [:]
        var unknown: [String] = []
        for entry in try plan(pipeline) where stage.after.contains(entry.stage) {
            if let key = entry.key, entry.state == .cached, let a = store.lookup(key) {
                upstream[entry.stage] = a.manifest.outputDigest
            } else {
                unknown.append(entry.stage)
            }
        }
        let current = try keyInputs(of: stage, in: pipeline, upstream: upstream)
        let key = Engine.key(of: current)
        let index = PipelineIndex.load(state: stateDirectory, pipeline: pipeline.name)
        let previous = index?.stages[name].flatMap { store.lookup($0) }
        var changes = previous.map { KeyDiff.changes(from: $0.manifest.keyInputs, to: current) } ?? []
        changes.removeAll { change in unknown.contains { change.path == "upstream.\($0)" } }
        return Explanation(
            stage: name, key: key, cached: store.lookup(key) != nil, previousKey: previous?.key,
            previousRun: previous?.manifest.runID, changes: changes,
            unknownUpstream: unknown)
    }

    public struct Explanation: Sendable, Codable {
        public var stage: String
        public var key: String
        public var cached: Bool
        public var previousKey: String?
        public var previousRun: String?
        public var changes: [KeyDiff.Change]
        /// Upstream stages that must run before the key is known.
        public var unknownUpstream: [String]
    }
}

/// Differences between two key-input trees, as dotted paths (`params.steps: 2000 → 3000`).
public enum KeyDiff {
    public struct Change: Sendable, Codable, Hashable, CustomStringConvertible {
        public var path: String
        public var before: String?
        public var after: String?
        public var description: String {
            switch (before, after) {
            case (nil, let a?): "\(path): added (\(a))"
            case (let b?, nil): "\(path): removed (was \(b))"
            default: "\(path): \(before ?? "") → \(after ?? "")"
            }
        }
    }

    public static func changes(from old: JSONValue, to new: JSONValue) -> [Change] {
        var a: [String: String] = [:]
        var b: [String: String] = [:]
        flatten(old, "", into: &a)
        flatten(new, "", into: &b)
        return Set(a.keys).union(b.keys).sorted().compactMap { path in
            a[path] == b[path] ? nil : Change(path: path, before: a[path], after: b[path])
        }
    }

    private static func flatten(_ value: JSONValue, _ prefix: String, into out: inout [String: String]) {
        switch value {
        case .object(let o) where !o.isEmpty:
            for (k, v) in o { flatten(v, prefix.isEmpty ? k : prefix + "." + k, into: &out) }
        case .array(let items) where !items.isEmpty && items.contains(where: { $0.objectValue != nil }):
            for (i, v) in items.enumerated() { flatten(v, "\(prefix)[\(i)]", into: &out) }
        case .double(let d) where d.rounded() == d && abs(d) < 1e15:
            out[prefix] = String(Int(d))  // 2.0 and 2 read back alike from JSON
        default:
            if let s = value.stringValue, s.count == 64 {
                out[prefix] = String(s.prefix(12)) + "…"  // a digest: the prefix tells them apart
            } else {
                out[prefix] = value.canonicalJSON
            }
        }
    }
}
