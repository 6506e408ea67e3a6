import Foundation
import Logging
import PipelineCore
import StageKit

/// `/etc/finetuned/finetuned.yaml`: every key, its default and meaning are in etc/finetuned/finetuned.yaml.
public struct DaemonConfiguration: Sendable, Equatable {
    public var stateDirectory: String
    public var pipelineDirectories: [String]
    public var pluginDirectories: [String]
    /// Pipelines may read data only below these (after resolving `..` and symlinks).
    public var dataRoots: [String]
    public var maxConcurrentRuns: Int
    public var jobsPerRun: Int
    public var threadsPerStage: Int
    public var logLevel: Logger.Level
    /// Seconds between progress summaries in the journal (journald rate-limits chatty services).
    public var progressLogInterval: Double
    /// Seconds between checkpoints that training plugins should keep to (`FINETUNED_CHECKPOINT_SECONDS`).
    public var checkpointInterval: Int
    /// Seconds a stopping stage gets between SIGTERM and SIGKILL.
    public var stopGraceSeconds: Double
    public var controlSocket: String
    /// Group that may use the control socket (and write the pipelines folder); empty: the daemon's own.
    public var controlGroup: String
    /// Quiet time before a changed pipeline file is read (coalesces editors' bursts of writes).
    public var debounceMilliseconds: Int
    /// Seconds between validations of a file rejected only because files it names do not exist yet.
    public var revalidateInterval: Double
    /// Seconds one pipeline file's read and validation may take before it is rejected as too expensive.
    public var validationTimeout: Double

    static let schema = ParamSchema([
        ParamSpec("state_dir", .string, default: "/var/lib/finetuned"),
        ParamSpec("pipeline_dirs", .array(.string)),
        ParamSpec("plugin_dirs", .array(.string), default: ["/usr/lib/finetuned/plugins"]),
        ParamSpec("data_roots", .array(.string)),
        ParamSpec("max_concurrent_runs", .integer(minimum: 1, maximum: 64), default: 1),
        ParamSpec("jobs_per_run", .integer(minimum: 1, maximum: 64), default: 1),
        ParamSpec("threads_per_stage", .integer(minimum: 1, maximum: 256), default: 2),
        ParamSpec("log_level", .oneOf(["debug", "info", "notice", "warning", "error"]), default: "info"),
        // Every number has an upper bound: each becomes a duration or an integer somewhere.
        ParamSpec("progress_log_interval", .number(minimum: 1, maximum: 86_400), default: 30),
        ParamSpec("checkpoint_interval", .integer(minimum: 1, maximum: 604_800), default: 300),
        ParamSpec("stop_grace_seconds", .number(minimum: 0.1, maximum: 3600), default: 60),
        ParamSpec("control_socket", .string),
        ParamSpec("control_group", .string, default: "finetuned"),
        ParamSpec("debounce_ms", .integer(minimum: 0, maximum: 60_000), default: 300),
        ParamSpec("revalidate_interval", .number(minimum: 0.1, maximum: 86_400), default: 30),
        ParamSpec("validation_timeout", .number(minimum: 0.01, maximum: 3600), default: 30),
    ])

    /// Reads a configuration file; a missing file means all defaults. Errors are located.
    public static func load(file: String?, stateDirectoryOverride: String? = nil) throws -> DaemonConfiguration {
        var value: JSONValue = .object([:])
        var node: YAMLNode?
        if let file, FileManager.default.fileExists(atPath: file) {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            node = try YAMLNode.parse(text, file: file)
            value = node?.json ?? .object([:])
            if value == .null { value = .object([:]) }
        }
        let (canonical, violations) = schema.canonicalize(value)
        if !violations.isEmpty {
            throw PipelineInvalid(
                violations.map { v in
                    Diagnostic(
                        node?.locate(v.path, atKey: v.atKey) ?? SourceLocation(file: file ?? "-", line: 1, column: 1),
                        v.description)
                })
        }
        let state = stateDirectoryOverride ?? canonical["state_dir"]!.stringValue!
        let strings: (String) -> [String]? = { canonical[$0]?.arrayValue?.compactMap(\.stringValue) }
        let runtime = ProcessInfo.processInfo.environment["RUNTIME_DIRECTORY"].flatMap { $0.split(separator: ":").first }
        return DaemonConfiguration(
            stateDirectory: state,
            pipelineDirectories: strings("pipeline_dirs") ?? [state + "/pipelines"],
            pluginDirectories: strings("plugin_dirs")!,
            // Not the whole state folder: that would let a pipeline read the cache, runs and memos as data.
            dataRoots: strings("data_roots") ?? [state + "/data"],
            maxConcurrentRuns: canonical["max_concurrent_runs"]!.intValue!,
            jobsPerRun: canonical["jobs_per_run"]!.intValue!,
            threadsPerStage: canonical["threads_per_stage"]!.intValue!,
            logLevel: Logger.Level(rawValue: canonical["log_level"]!.stringValue!) ?? .info,
            progressLogInterval: canonical["progress_log_interval"]!.doubleValue!,
            checkpointInterval: canonical["checkpoint_interval"]!.intValue!,
            stopGraceSeconds: canonical["stop_grace_seconds"]!.doubleValue!,
            controlSocket: canonical["control_socket"]?.stringValue
                ?? runtime.map { "\($0)/control.sock" } ?? "/run/finetuned/control.sock",
            controlGroup: canonical["control_group"]!.stringValue!,
            debounceMilliseconds: canonical["debounce_ms"]!.intValue!,
            revalidateInterval: canonical["revalidate_interval"]!.doubleValue!,
            validationTimeout: canonical["validation_timeout"]!.doubleValue!)
    }
}
