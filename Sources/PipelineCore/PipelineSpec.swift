import Foundation
import OrderedCollections
import StageKit

/// A pipeline file, parsed and checked for shape (docs/pipeline-format.md). Stage plugins and data files are
/// checked against the world by ``PipelineValidator``.
public struct PipelineSpec: Sendable {
    /// The format version this engine reads.
    public static let supportedVersion = 1
    /// Bounds that keep validation cheap (graph checks are quadratic in the number of stages).
    public static let maxStages = 256
    public static let maxDataInputs = 256

    /// The pipeline file's absolute path.
    public var file: String
    public var version: Int
    public var name: String
    public var description: String?
    public var seed: Int
    public var model: ModelSpec?
    public var data: OrderedDictionary<String, DataSpec>
    public var stages: OrderedDictionary<String, StageSpec>

    /// The folder relative paths resolve against.
    public var directory: String { (file as NSString).deletingLastPathComponent }
}

public struct ModelSpec: Sendable {
    /// As written in the file.
    public var base: String
    public var location: SourceLocation
}

public struct DataSpec: Sendable {
    public var name: String
    /// A path or glob (`*`, `?`, `[...]`, `**`) as written, relative to the pipeline's folder.
    public var path: String
    public var pathLocation: SourceLocation
    public var format: String
    /// Field mapping for structured formats: `text`, `text_pair`, `label`, `id`.
    public var fields: [String: String]
    public var onError: String
    public var location: SourceLocation

    public static let formats = ["text", "jsonl", "csv", "tsv"]
    public static let fieldKeys = ["text", "text_pair", "label", "id"]
}

public struct StageSpec: Sendable {
    public var name: String
    public var location: SourceLocation
    public var plugin: String
    public var pluginLocation: SourceLocation
    /// Stages this one runs after and whose artifacts it reads.
    public var after: [Reference]
    /// Data inputs this stage reads.
    public var inputs: [Reference]
    /// The raw `with:` mapping, validated against the plugin's schema later.
    public var with: YAMLNode?
    public var withLocation: SourceLocation
    /// Kill the plugin when a single attempt takes longer (seconds, at most ``maxTimeout``).
    public var timeout: Double?
    /// The longest `timeout:` a stage may set: 30 days.
    public static let maxTimeout: Double = 30 * 86_400
    public var description: String?

    public struct Reference: Sendable {
        public var name: String
        public var location: SourceLocation
    }
}

// MARK: - Parsing

extension PipelineSpec {
    /// Reads and parses a pipeline file; every problem of shape is reported at once.
    public static func load(file: String) throws -> PipelineSpec {
        let (spec, problems) = try loadCollecting(file: file)
        if !problems.isEmpty { throw PipelineInvalid(problems) }
        return spec
    }

    /// Parses pipeline text; every problem of shape is reported at once.
    public static func parse(_ text: String, file: String, displayName: String? = nil) throws -> PipelineSpec {
        let (spec, problems) = try parseCollecting(text, file: file, displayName: displayName)
        if !problems.isEmpty { throw PipelineInvalid(problems) }
        return spec
    }

    /// Reads and parses a pipeline file, returning what could be understood together with the problems found,
    /// so that validation can go on and report the rest. Throws only when nothing could be understood.
    /// The file must be a regular file of at most ``YAMLLimits/maxBytes``; with `followSymlinks == false` a
    /// symlink is refused too (the daemon's watched folders).
    static func loadCollecting(file: String, followSymlinks: Bool = true) throws -> (PipelineSpec, [Diagnostic]) {
        let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.read(absolute, maxBytes: YAMLLimits.pipeline.maxBytes, followSymlinks: followSymlinks)
        } catch {
            throw PipelineInvalid([Diagnostic(SourceLocation(file: file, line: 1, column: 1), error.description)])
        }
        return try parseCollecting(bytes: bytes, file: absolute, displayName: file)
    }

    /// `displayName` is the path shown in diagnostics (as the user typed it).
    static func parseCollecting(_ text: String, file: String, displayName: String?) throws -> (PipelineSpec, [Diagnostic]) {
        try parseCollecting(bytes: Array(text.utf8), file: file, displayName: displayName)
    }

    static func parseCollecting(bytes: [UInt8], file: String, displayName: String?) throws -> (PipelineSpec, [Diagnostic]) {
        var reader = SpecReader(file: displayName ?? file)
        guard let root = try YAMLNode.parse(bytes: bytes, file: displayName ?? file) else {
            throw PipelineInvalid([
                Diagnostic(
                    SourceLocation(file: displayName ?? file, line: 1, column: 1), "the pipeline file is empty",
                    hint: "start with 'version: 1', a 'name:' and a 'stages:' mapping")
            ])
        }
        guard let spec = reader.pipeline(root, path: file) else { throw PipelineInvalid(reader.problems) }
        return (spec, reader.problems)
    }
}

/// Walks the YAML tree, collecting every problem instead of stopping at the first.
struct SpecReader {
    let file: String
    var problems: [Diagnostic] = []

    init(file: String) { self.file = file }

    mutating func report(_ at: SourceLocation, _ message: String, hint: String? = nil) {
        problems.append(Diagnostic(at, message, hint: hint))
    }

    /// The entries of a mapping, reporting unknown keys (with a suggestion) and missing required ones.
    mutating func entries(
        _ node: YAMLNode, what: String, allowed: [String], required: [String] = []
    ) -> [String: YAMLNode.Entry]? {
        guard case .mapping(let list) = node.kind else {
            report(node.location, "\(what) must be a mapping, found \(node.kindName)")
            return nil
        }
        var out: [String: YAMLNode.Entry] = [:]
        for entry in list {
            if !allowed.contains(entry.key) {
                let hint = closestMatch(to: entry.key, among: allowed).map { "did you mean '\($0)'?" }
                    ?? "allowed keys: \(allowed.joined(separator: ", "))"
                report(entry.keyLocation, "unknown key '\(entry.key)' in \(what)", hint: hint)
            } else {
                out[entry.key] = entry
            }
        }
        for key in required where out[key] == nil {
            report(node.location, "missing required key '\(key)' in \(what)")
        }
        return out
    }

    mutating func string(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let s, _) = node.kind, node.json.stringValue != nil || !s.isEmpty else {
            report(node.location, "\(what) must be a string, found \(node.kindName)")
            return nil
        }
        return s
    }

    mutating func integer(_ node: YAMLNode, what: String) -> Int? {
        guard let i = node.json.intValue, case .int = node.json else {
            report(node.location, "\(what) must be an integer, found \(node.kindName)")
            return nil
        }
        return i
    }

    mutating func names(_ node: YAMLNode, what: String) -> [StageSpec.Reference] {
        let items: [YAMLNode]
        switch node.kind {
        case .sequence(let list): items = list
        case .scalar: items = [node]  // `after: tokenize` is read as `after: [tokenize]`
        case .mapping:
            report(node.location, "\(what) must be a list of names, found a mapping")
            return []
        }
        return items.compactMap { item in
            string(item, what: "an entry of \(what)").map { StageSpec.Reference(name: $0, location: item.location) }
        }
    }

    mutating func pipeline(_ root: YAMLNode, path: String) -> PipelineSpec? {
        guard
            let top = entries(
                root, what: "the pipeline", allowed: ["version", "name", "description", "seed", "model", "data", "stages"],
                required: ["version", "stages"])
        else { return nil }

        var version = PipelineSpec.supportedVersion
        if let v = top["version"] {
            if let n = integer(v.value, what: "'version'") {
                version = n
                if n != PipelineSpec.supportedVersion {
                    report(
                        v.value.location, "unsupported pipeline format version \(n)",
                        hint: "this finetuned reads version \(PipelineSpec.supportedVersion)")
                }
            }
        }
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var name = stem
        if let n = top["name"], let s = string(n.value, what: "'name'") { name = s }
        if !PipelineSpec.isValidName(name) {
            report(
                top["name"]?.value.location ?? root.location, "invalid pipeline name '\(name)'",
                hint: "use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)")
        }
        let description = top["description"].flatMap { string($0.value, what: "'description'") }
        var seed = top["seed"].flatMap { integer($0.value, what: "'seed'") } ?? 0
        if seed < 0, let node = top["seed"] {
            // Plugins take the seed as an unsigned 64-bit number.
            report(node.value.location, "'seed' must be 0 or more, found \(seed)")
            seed = 0
        }

        var model: ModelSpec?
        if let m = top["model"], let fields = entries(m.value, what: "'model'", allowed: ["base"], required: ["base"]),
            let base = fields["base"], let s = string(base.value, what: "'model.base'")
        {
            model = ModelSpec(base: s, location: base.value.location)
        }

        var data: OrderedDictionary<String, DataSpec> = [:]
        if let d = top["data"] {
            if case .mapping(let list) = d.value.kind {
                if list.count > PipelineSpec.maxDataInputs {
                    report(d.value.location, "more than \(PipelineSpec.maxDataInputs) data inputs", hint: "use a folder or a glob")
                }
                for entry in list.prefix(PipelineSpec.maxDataInputs) { if let spec = dataSpec(entry) { data[entry.key] = spec } }
            } else {
                report(d.value.location, "'data' must be a mapping of input names to inputs, found \(d.value.kindName)")
            }
        }

        var stages: OrderedDictionary<String, StageSpec> = [:]
        if let s = top["stages"] {
            if case .mapping(let list) = s.value.kind {
                if list.isEmpty { report(s.value.location, "'stages' is empty", hint: "a pipeline needs at least one stage") }
                if list.count > PipelineSpec.maxStages {
                    report(s.value.location, "more than \(PipelineSpec.maxStages) stages", hint: "split the pipeline")
                }
                for entry in list.prefix(PipelineSpec.maxStages) { if let spec = stageSpec(entry) { stages[entry.key] = spec } }
            } else {
                report(s.value.location, "'stages' must be a mapping of stage names to stages, found \(s.value.kindName)")
            }
        }
        return PipelineSpec(
            file: path, version: version, name: name, description: description, seed: seed, model: model, data: data,
            stages: stages)
    }

    mutating func dataSpec(_ entry: YAMLNode.Entry) -> DataSpec? {
        if !PipelineSpec.isValidName(entry.key) {
            report(entry.keyLocation, "invalid data input name '\(entry.key)'", hint: "use letters, digits, '.', '_' and '-'")
        }
        var node = entry.value
        if case .scalar = node.kind {  // `legal: data/*.txt` is short for `legal: {path: data/*.txt}`
            node = YAMLNode(
                kind: .mapping([YAMLNode.Entry(key: "path", keyLocation: node.location, value: node)]),
                location: node.location)
        }
        let allowed = ["path", "format", "on_error"] + DataSpec.fieldKeys
        guard let fields = entries(node, what: "data input '\(entry.key)'", allowed: allowed, required: ["path"]),
            let pathEntry = fields["path"], let path = string(pathEntry.value, what: "'path'")
        else { return nil }
        var format = DataSpec.inferFormat(path)
        if let f = fields["format"], let s = string(f.value, what: "'format'") {
            if DataSpec.formats.contains(s) {
                format = s
            } else {
                let hint = closestMatch(to: s, among: DataSpec.formats).map { "did you mean '\($0)'?" }
                    ?? "one of: \(DataSpec.formats.joined(separator: ", "))"
                report(f.value.location, "unknown data format '\(s)'", hint: hint)
            }
        }
        var onError = "fail"
        if let e = fields["on_error"], let s = string(e.value, what: "'on_error'") {
            if ["fail", "skip"].contains(s) { onError = s } else { report(e.value.location, "'on_error' must be 'fail' or 'skip'") }
        }
        var mapping: [String: String] = [:]
        for key in DataSpec.fieldKeys {
            if let f = fields[key], let s = string(f.value, what: "'\(key)'") { mapping[key] = s }
        }
        if format != "text" && mapping["text"] == nil {
            mapping["text"] = "text"
        }
        return DataSpec(
            name: entry.key, path: path, pathLocation: pathEntry.value.location, format: format, fields: mapping,
            onError: onError, location: entry.keyLocation)
    }

    mutating func stageSpec(_ entry: YAMLNode.Entry) -> StageSpec? {
        if !PipelineSpec.isValidName(entry.key) {
            report(entry.keyLocation, "invalid stage name '\(entry.key)'", hint: "use letters, digits, '.', '_' and '-'")
        }
        guard
            let fields = entries(
                entry.value, what: "stage '\(entry.key)'",
                allowed: ["plugin", "after", "inputs", "with", "timeout", "description"], required: ["plugin"]),
            let pluginEntry = fields["plugin"], let plugin = string(pluginEntry.value, what: "'plugin'")
        else { return nil }
        var timeout: Double?
        if let t = fields["timeout"] {
            timeout = Duration.seconds(parsing: t.value)
            if timeout == nil {
                report(
                    t.value.location, "'timeout' must be a duration such as 90, 30s, 15m or 2h",
                    hint: "positive, at most 30 days (720h)")
            }
        }
        var with = fields["with"]?.value
        if let w = with {
            switch w.kind {
            case .mapping: break
            case .scalar(_, let plain) where plain && w.json == .null: with = nil  // `with:` left empty
            default:
                report(w.location, "'with' must be a mapping of parameters, found \(w.kindName)")
                with = nil
            }
        }
        return StageSpec(
            name: entry.key, location: entry.keyLocation, plugin: plugin, pluginLocation: pluginEntry.value.location,
            after: fields["after"].map { names($0.value, what: "'after'") } ?? [],
            inputs: fields["inputs"].map { names($0.value, what: "'inputs'") } ?? [],
            with: with, withLocation: fields["with"]?.keyLocation ?? entry.keyLocation,
            timeout: timeout, description: fields["description"].flatMap { string($0.value, what: "'description'") })
    }
}

extension PipelineSpec {
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 64,
            first.properties.isAlphabetic || ("0"..."9").contains(first), first.isASCII
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
        }
    }
}

extension DataSpec {
    static func inferFormat(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "jsonl", "ndjson": "jsonl"
        case "csv": "csv"
        case "tsv": "tsv"
        default: "text"
        }
    }
}

extension YAMLNode {
    var kindName: String {
        switch kind {
        case .scalar: json.typeName
        case .sequence: "a sequence"
        case .mapping: "a mapping"
        }
    }
}

extension Duration {
    /// Seconds from `90`, `2.5`, `30s`, `15m`, `2h`; `nil` unless positive, finite and at most
    /// ``StageSpec/maxTimeout`` (a timeout becomes an integer count of milliseconds).
    static func seconds(parsing node: YAMLNode) -> Double? {
        let seconds: Double
        if let d = node.json.doubleValue {
            seconds = d
        } else {
            guard let s = node.json.stringValue, let unit = s.last, let value = Double(s.dropLast()) else { return nil }
            switch unit {
            case "s": seconds = value
            case "m": seconds = value * 60
            case "h": seconds = value * 3600
            default: return nil
            }
        }
        return seconds.isFinite && seconds > 0 && seconds <= StageSpec.maxTimeout ? seconds : nil
    }
}
