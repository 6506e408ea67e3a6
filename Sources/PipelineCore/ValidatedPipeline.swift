import Foundation
import OrderedCollections
import StageKit

/// A pipeline checked against the world: plugins exist, parameters fit their schemas, references resolve,
/// the graph is acyclic, and data paths name files inside the allowed roots.
public struct ValidatedPipeline: Sendable {
    public struct Stage: Sendable {
        public var spec: StageSpec
        public var plugin: PluginInfo
        /// Canonical parameters: defaults filled in, numbers widened.
        public var params: JSONValue
        /// Upstream stages, in declaration order.
        public var after: [String]
        /// Names of the data inputs this stage reads (`inputs:` and data-typed parameters).
        public var data: [String]
        /// Its `path`-typed parameters, resolved (``params`` holds the resolved absolute paths).
        public var paths: [ResolvedPath] = []
        public var name: String { spec.name }
    }

    /// A `path` parameter: as written, resolved, and the regular files it names (a folder: all below it).
    public struct ResolvedPath: Sendable {
        public var parameter: [ParamPathComponent]
        public var written: String
        public var resolved: String
        public var files: [String]
    }

    public var spec: PipelineSpec
    /// In an order where every stage comes after its upstream stages (declaration order otherwise).
    public var stages: OrderedDictionary<String, Stage>
    /// Resolved data inputs.
    public var data: [String: StageKit.DataInput]
    /// Base of each data input's relative file names (the pattern's folder before any wildcard).
    public var dataBase: [String: String]
    public var modelBase: String?
    /// The data roots it was validated against (`nil`: unconfined); the engine checks them again at run time.
    public var dataRoots: [String]?
    public var name: String { spec.name }

    /// Stages that depend on `stage`, directly or not.
    public func dependants(of stage: String) -> Set<String> {
        var out = Set<String>()
        var changed = true
        while changed {
            changed = false
            for s in stages.values where !out.contains(s.name) && s.after.contains(where: { $0 == stage || out.contains($0) }) {
                out.insert(s.name)
                changed = true
            }
        }
        return out
    }
}

/// Checks a parsed pipeline against the plugins and the file system, reporting every problem at once.
public struct PipelineValidator: Sendable {
    public var registry: PluginRegistry
    public var resolver: DataResolver

    public init(registry: PluginRegistry, resolver: DataResolver = DataResolver()) {
        self.registry = registry
        self.resolver = resolver
    }

    /// Loads, parses and validates a pipeline file.
    public func validate(file: String) throws -> ValidatedPipeline {
        let (spec, problems) = try PipelineSpec.loadCollecting(file: file)
        return try validate(spec, knownProblems: problems)
    }

    /// Validates the bytes of a pipeline file already read (as ``BoundedFile`` does).
    public func validate(bytes: [UInt8], file: String) throws -> ValidatedPipeline {
        let (spec, problems) = try PipelineSpec.parseCollecting(bytes: bytes, file: file, displayName: nil)
        return try validate(spec, knownProblems: problems)
    }

    /// Validates pipeline text (as if read from `file`).
    public func validate(text: String, file: String) throws -> ValidatedPipeline {
        let (spec, problems) = try PipelineSpec.parseCollecting(text, file: file, displayName: nil)
        return try validate(spec, knownProblems: problems)
    }

    public func validate(_ spec: PipelineSpec, knownProblems: [Diagnostic] = []) throws -> ValidatedPipeline {
        var problems = knownProblems
        func report(_ at: SourceLocation, _ message: String, hint: String? = nil, code: Diagnostic.Code? = nil) {
            problems.append(Diagnostic(at, message, hint: hint, code: code))
        }
        let stageNames = Array(spec.stages.keys)
        let dataNames = Array(spec.data.keys)

        // Data inputs.
        var data: [String: StageKit.DataInput] = [:]
        var dataBase: [String: String] = [:]
        for input in spec.data.values {
            switch resolver.resolve(input.path, relativeTo: spec.directory) {
            case .success(let files):
                data[input.name] = StageKit.DataInput(
                    files: files, format: input.format, fields: input.fields, onError: input.onError)
                dataBase[input.name] = Self.fixedPrefix(of: input.path, relativeTo: spec.directory)
            case .failure(.noMatch):
                report(
                    input.pathLocation, "data input '\(input.name)': no file matches '\(input.path)'",
                    hint: "paths are relative to the pipeline's folder \(spec.directory)", code: .missingFile)
            case .failure(.outsideRoots(let file)):
                report(
                    input.pathLocation, "data input '\(input.name)': '\(file)' is outside the allowed data roots",
                    hint: "allowed: \((resolver.allowedRoots ?? []).joined(separator: ", "))")
            case .failure(.tooExpensive(let reason)):
                report(
                    input.pathLocation, "data input '\(input.name)': '\(input.path)' was not resolved: \(reason)",
                    hint: "name a narrower pattern inside the data roots")
            }
        }
        var modelBase: String?
        if let model = spec.model {
            let path = model.base.hasPrefix("/") ? model.base : spec.directory + "/" + model.base
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                report(
                    model.location, "model base '\(model.base)' is not a directory",
                    hint: "expected a folder with config.json and model weights", code: .missingFile)
            } else if !resolver.isConfined(path) {
                report(model.location, "model base '\(model.base)' is outside the allowed data roots")
            } else {
                modelBase = URL(fileURLWithPath: path).standardizedFileURL.path
            }
        }

        // Stages.
        var stages: [String: ValidatedPipeline.Stage] = [:]
        for stage in spec.stages.values {
            for ref in stage.after {
                if ref.name == stage.name {
                    report(ref.location, "stage '\(stage.name)' cannot run after itself")
                } else if !stageNames.contains(ref.name) {
                    report(
                        ref.location, "unknown stage '\(ref.name)' in 'after' of stage '\(stage.name)'",
                        hint: Self.suggestion(ref.name, stageNames, noun: "stages"))
                }
            }
            var reads: [String] = []
            for ref in stage.inputs {
                if dataNames.contains(ref.name) {
                    reads.append(ref.name)
                } else {
                    report(
                        ref.location, "unknown data input '\(ref.name)' in 'inputs' of stage '\(stage.name)'",
                        hint: Self.suggestion(ref.name, dataNames, noun: "data inputs"))
                }
            }
            guard let plugin = registry[stage.plugin] else {
                report(
                    stage.pluginLocation, "unknown plugin '\(stage.plugin)'",
                    hint: Self.suggestion(stage.plugin, registry.names, noun: "plugins")
                        + "; `finetunectl plugins` lists what is installed")
                continue
            }
            let raw = stage.with?.json
            if let raw, raw != .null, raw.objectValue == nil { continue }  // reported while parsing
            let (params, violations) = plugin.description.params.canonicalize(raw == .null ? nil : raw)
            if violations.isEmpty {
                for name in plugin.description.params.dataReferences(in: params) {
                    if dataNames.contains(name) {
                        if !reads.contains(name) { reads.append(name) }
                    } else {
                        let location = Self.locate(value: name, in: stage.with) ?? stage.withLocation
                        report(location, "unknown data input '\(name)'", hint: Self.suggestion(name, dataNames, noun: "data inputs"))
                    }
                }
                var resolvedParams = params
                var paths: [ValidatedPipeline.ResolvedPath] = []
                for (parameter, written) in plugin.description.params.pathReferences(in: params) {
                    let location = stage.with?.locate(parameter, atKey: false) ?? stage.withLocation
                    let label = "stage '\(stage.name)' (\(plugin.description.name)): \(renderParamPath(parameter))"
                    let absolute = written.hasPrefix("/") ? written : spec.directory + "/" + written
                    switch resolver.resolve(written, relativeTo: spec.directory) {
                    case .success(let files):
                        guard let real = DataResolver.realPath(absolute) else {
                            report(location, "\(label): '\(written)' does not exist", code: .missingFile)
                            continue
                        }
                        paths.append(.init(parameter: parameter, written: written, resolved: real, files: files))
                        resolvedParams = resolvedParams.replacing(at: parameter, with: .string(real))
                    case .failure(.noMatch):
                        report(location, "\(label): no file at '\(written)'", hint: "paths are relative to \(spec.directory)", code: .missingFile)
                    case .failure(.outsideRoots(let file)):
                        report(location, "\(label): '\(file)' is outside the allowed data roots")
                    case .failure(.tooExpensive(let reason)):
                        report(location, "\(label): '\(written)' was not resolved: \(reason)")
                    }
                }
                stages[stage.name] = ValidatedPipeline.Stage(
                    spec: stage, plugin: plugin, params: resolvedParams, after: stage.after.map(\.name).filter { $0 != stage.name },
                    data: reads, paths: paths)
            } else {
                for v in violations {
                    let location = stage.with?.locate(v.path, atKey: v.atKey) ?? stage.withLocation
                    report(location, "stage '\(stage.name)' (\(plugin.description.name)): \(v.description)")
                }
            }
        }

        // Cycles.
        let cycles = Self.cycles(spec)
        for cycle in cycles {
            guard let head = cycle.first, let first = spec.stages[head] else { continue }
            let edge = first.after.first { $0.name == cycle.last }  // the edge that closes the cycle
            report(
                edge?.location ?? first.location,
                "stages form a cycle: \((cycle + [cycle[0]]).joined(separator: " → "))",
                hint: "remove one of these 'after' entries")
        }

        // Every stage that was not accepted has a diagnostic; this guard keeps it so for any future check.
        if problems.isEmpty, let missing = stageNames.first(where: { stages[$0] == nil }), let stage = spec.stages[missing] {
            report(stage.location, "stage '\(missing)' could not be validated")
        }
        if !problems.isEmpty { throw PipelineInvalid(problems) }
        var ordered: OrderedDictionary<String, ValidatedPipeline.Stage> = [:]
        var progressed = true
        while ordered.count < stages.count && progressed {
            progressed = false
            for name in stageNames where ordered[name] == nil {
                guard let s = stages[name] else { continue }
                if s.after.allSatisfy({ ordered[$0] != nil }) {
                    ordered[name] = s
                    progressed = true
                }
            }
        }
        return ValidatedPipeline(
            spec: spec, stages: ordered, data: data, dataBase: dataBase, modelBase: modelBase,
            dataRoots: resolver.allowedRoots)
    }

    /// Elementary cycles of the `after` graph, each reported once (rotated to start at its first-declared stage).
    static func cycles(_ spec: PipelineSpec) -> [[String]] {
        let order = Array(spec.stages.keys)
        let edges = spec.stages.mapValues { $0.after.map(\.name).filter { spec.stages[$0] != nil } }
        var found: [[String]] = []
        var seen = Set<[String]>()
        var state: [String: Int] = [:]  // 1 on stack, 2 done
        var stack: [String] = []
        func visit(_ node: String) {
            state[node] = 1
            stack.append(node)
            for next in edges[node] ?? [] {
                if state[next] == 1, let start = stack.firstIndex(of: next) {
                    var cycle = Array(stack[start...]).reversed() as [String]
                    // reversed: A after B means B runs first; show in run order.
                    let rank = { (name: String) in order.firstIndex(of: name) ?? Int.max }
                    if let pivot = cycle.indices.min(by: { rank(cycle[$0]) < rank(cycle[$1]) }) {
                        cycle = Array(cycle[pivot...] + cycle[..<pivot])
                    }
                    if cycle.count > 1 && !seen.contains(cycle) {
                        seen.insert(cycle)
                        found.append(cycle)
                    }
                } else if state[next] == nil {
                    visit(next)
                }
            }
            stack.removeLast()
            state[node] = 2
        }
        for node in order where state[node] == nil { visit(node) }
        return found
    }

    static func suggestion(_ word: String, _ candidates: [String], noun: String) -> String {
        if let close = closestMatch(to: word, among: candidates) { return "did you mean '\(close)'?" }
        return candidates.isEmpty ? "there are no \(noun)" : "known \(noun): \(candidates.joined(separator: ", "))"
    }

    /// The location of a scalar with this value inside a YAML tree (to point at a bad data reference).
    static func locate(value: String, in node: YAMLNode?) -> SourceLocation? {
        guard let node else { return nil }
        switch node.kind {
        case .scalar(let s, _): return s == value ? node.location : nil
        case .sequence(let items): return items.lazy.compactMap { locate(value: value, in: $0) }.first
        case .mapping(let entries): return entries.lazy.compactMap { locate(value: value, in: $0.value) }.first
        }
    }

    /// The folder part of a pattern before its first wildcard component, with `.` and `..` resolved as the
    /// resolver resolves them (lexically), so that file names relative to it never carry the project's
    /// absolute location into a cache key (`../data/*.txt` gave `/home/me/p/../data` before).
    static func fixedPrefix(of pattern: String, relativeTo directory: String) -> String {
        let absolute = pattern.hasPrefix("/") ? pattern : directory + "/" + pattern
        var parts: [Substring] = []
        for component in absolute.split(separator: "/") {
            if component.contains(where: { "*?[".contains($0) }) { break }
            if component == "." { continue }
            if component == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(component)
        }
        let prefix = "/" + parts.joined(separator: "/")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory), isDirectory.boolValue { return prefix }
        return (prefix as NSString).deletingLastPathComponent
    }
}

extension JSONValue {
    /// This value with the node at `path` replaced (unchanged if the path does not exist).
    func replacing(at path: [ParamPathComponent], with new: JSONValue) -> JSONValue {
        guard let head = path.first else { return new }
        let rest = Array(path.dropFirst())
        switch (head, self) {
        case (.key(let k), .object(var o)):
            guard let child = o[k] else { return self }
            o[k] = child.replacing(at: rest, with: new)
            return .object(o)
        case (.index(let i), .array(var items)) where items.indices.contains(i):
            items[i] = items[i].replacing(at: rest, with: new)
            return .array(items)
        default:
            return self
        }
    }
}
