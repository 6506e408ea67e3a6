import Foundation

/// The version of the JSON-lines protocol between the engine and stage plugins (docs/plugin-protocol.md).
public enum StageProtocol {
    public static let version = 1

    /// Exit status of a plugin that stopped on request (SIGTERM) after saving what it needs to resume.
    public static let exitStoppedForResume: Int32 = 75
}

/// What a plugin says about itself in answer to `describe`.
public struct PluginDescription: Codable, Hashable, Sendable {
    /// The stage name a pipeline uses in `plugin:` (the executable is `finetuned-stage-<name>`).
    public var name: String
    /// The plugin's own version; part of every cache key it produces.
    public var version: String
    /// The protocol version it speaks.
    public var protocolVersion: Int
    public var summary: String
    public var params: ParamSchema
    /// What it consumes and produces, for `finetunectl plugins` (free text).
    public var consumes: String
    public var produces: String
    /// Which files of the pipeline's `model.base` folder the plugin reads (`fnmatch` patterns, e.g.
    /// `["tokenizer.json"]`, or `["*"]`); their content digests join its cache key. Empty: none.
    public var modelFiles: [String]

    public init(
        name: String, version: String, summary: String, params: ParamSchema, consumes: String = "",
        produces: String = "", modelFiles: [String] = []
    ) {
        self.modelFiles = modelFiles
        self.name = name
        self.version = version
        self.protocolVersion = StageProtocol.version
        self.summary = summary
        self.params = params
        self.consumes = consumes
        self.produces = produces
    }

    private enum CodingKeys: String, CodingKey {
        case name, version, protocolVersion = "protocol", summary, params, consumes, produces, modelFiles
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        protocolVersion = try c.decode(Int.self, forKey: .protocolVersion)
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? ""
        params = try c.decodeIfPresent(ParamSchema.self, forKey: .params) ?? ParamSchema([])
        consumes = try c.decodeIfPresent(String.self, forKey: .consumes) ?? ""
        produces = try c.decodeIfPresent(String.self, forKey: .produces) ?? ""
        modelFiles = try c.decodeIfPresent([String].self, forKey: .modelFiles) ?? []
    }
}

/// The first and only line the engine writes to a plugin's standard input.
public struct HostRequest: Codable, Sendable {
    public enum Command: String, Codable, Sendable { case describe, run }
    public var protocolVersion: Int
    public var command: Command
    public var run: RunRequest?

    public init(command: Command, run: RunRequest? = nil) {
        self.protocolVersion = StageProtocol.version
        self.command = command
        self.run = run
    }

    private enum CodingKeys: String, CodingKey { case protocolVersion = "protocol", command, run }
}

/// One named data input of the pipeline, resolved to files.
public struct DataInput: Codable, Hashable, Sendable {
    /// Absolute paths, sorted.
    public var files: [String]
    /// `text`, `jsonl`, `csv` or `tsv`.
    public var format: String
    /// Field mapping from the pipeline file (`text`, `text_pair`, `label`, ...).
    public var fields: [String: String]
    /// `skip` or `fail`: what to do with a malformed row.
    public var onError: String

    public init(files: [String], format: String, fields: [String: String] = [:], onError: String = "fail") {
        self.files = files
        self.format = format
        self.fields = fields
        self.onError = onError
    }
}

/// Everything a plugin needs to run one stage.
public struct RunRequest: Codable, Hashable, Sendable {
    public var pipeline: String
    public var stage: String
    public var runID: String
    /// The stage's `with:` parameters, validated and canonicalised (defaults filled in).
    public var params: JSONValue
    /// Upstream stage name → the directory of its artifact's files (read-only).
    public var upstream: [String: String]
    /// The pipeline's data inputs this stage reads (its `inputs:` and `dataRef` parameters).
    public var data: [String: DataInput]
    /// The pipeline's `model.base` directory, if any.
    public var modelBase: String?
    /// Where to write the outputs. Empty at start; becomes the artifact on success.
    public var outputDir: String
    /// A directory that survives an interrupted attempt of the same stage key: checkpoints go here.
    public var scratchDir: String
    public var seed: Int
    /// How many threads the plugin may use.
    public var threads: Int

    public init(
        pipeline: String, stage: String, runID: String, params: JSONValue, upstream: [String: String] = [:],
        data: [String: DataInput] = [:], modelBase: String? = nil, outputDir: String, scratchDir: String,
        seed: Int = 0, threads: Int = 1
    ) {
        self.pipeline = pipeline
        self.stage = stage
        self.runID = runID
        self.params = params
        self.upstream = upstream
        self.data = data
        self.modelBase = modelBase
        self.outputDir = outputDir
        self.scratchDir = scratchDir
        self.seed = seed
        self.threads = threads
    }
}

/// Severity of a plugin's log line (syslog names, so they map onto journald priorities).
public enum StageLogLevel: String, Codable, Sendable, Comparable, CaseIterable {
    case debug, info, notice, warning, error

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One line a plugin writes to standard output.
public enum StageEvent: Hashable, Sendable {
    case describe(PluginDescription)
    case log(StageLogLevel, String)
    /// `done` of `total` units (steps, files, rows) finished.
    case progress(done: Int, total: Int?, unit: String, message: String?)
    case metric(name: String, value: Double, step: Int?, task: String?)
    /// A resumable state was saved in the scratch directory at `step`.
    case checkpoint(step: Int)
    /// The stage finished; `summary` is copied into the run record.
    case result(summary: JSONValue)
    /// The stage failed; `message` is shown to the user.
    case error(message: String)
}

extension StageEvent: Codable {
    private enum CodingKeys: String, CodingKey {
        case event, plugin, level, message, done, total, unit, name, value, step, task, summary
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .event)
        switch kind {
        case "describe": self = .describe(try c.decode(PluginDescription.self, forKey: .plugin))
        case "log":
            self = .log(
                try c.decodeIfPresent(StageLogLevel.self, forKey: .level) ?? .info,
                try c.decode(String.self, forKey: .message))
        case "progress":
            self = .progress(
                done: try c.decode(Int.self, forKey: .done), total: try c.decodeIfPresent(Int.self, forKey: .total),
                unit: try c.decodeIfPresent(String.self, forKey: .unit) ?? "step",
                message: try c.decodeIfPresent(String.self, forKey: .message))
        case "metric":
            self = .metric(
                name: try c.decode(String.self, forKey: .name), value: try c.decode(Double.self, forKey: .value),
                step: try c.decodeIfPresent(Int.self, forKey: .step),
                task: try c.decodeIfPresent(String.self, forKey: .task))
        case "checkpoint": self = .checkpoint(step: try c.decode(Int.self, forKey: .step))
        case "result": self = .result(summary: try c.decodeIfPresent(JSONValue.self, forKey: .summary) ?? .object([:]))
        case "error": self = .error(message: try c.decode(String.self, forKey: .message))
        default:
            throw DecodingError.dataCorruptedError(forKey: .event, in: c, debugDescription: "unknown event '\(kind)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .describe(let d):
            try c.encode("describe", forKey: .event)
            try c.encode(d, forKey: .plugin)
        case .log(let level, let message):
            try c.encode("log", forKey: .event)
            try c.encode(level, forKey: .level)
            try c.encode(message, forKey: .message)
        case .progress(let done, let total, let unit, let message):
            try c.encode("progress", forKey: .event)
            try c.encode(done, forKey: .done)
            try c.encodeIfPresent(total, forKey: .total)
            try c.encode(unit, forKey: .unit)
            try c.encodeIfPresent(message, forKey: .message)
        case .metric(let name, let value, let step, let task):
            try c.encode("metric", forKey: .event)
            try c.encode(name, forKey: .name)
            try c.encode(value, forKey: .value)
            try c.encodeIfPresent(step, forKey: .step)
            try c.encodeIfPresent(task, forKey: .task)
        case .checkpoint(let step):
            try c.encode("checkpoint", forKey: .event)
            try c.encode(step, forKey: .step)
        case .result(let summary):
            try c.encode("result", forKey: .event)
            try c.encode(summary, forKey: .summary)
        case .error(let message):
            try c.encode("error", forKey: .event)
            try c.encode(message, forKey: .message)
        }
    }
}

extension JSONEncoder {
    /// The encoder for protocol lines: one line per message, keys sorted for stable output.
    public static var stageLine: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
