import Foundation

/// The daemon's control API: one JSON request line per connection to the unix socket, one JSON response line
/// back (docs/daemon.md). Shared by `finetuned` and `finetunectl`.
public enum ControlRequest: Codable, Sendable, Equatable {
    /// All pipelines, or one, with their stages.
    case status(pipeline: String?)
    /// Stop the pipeline's active run (running stages checkpoint).
    case cancel(pipeline: String)
    /// Run the pipeline again now (stale stages only; failed ones are retried).
    case rerun(pipeline: String)

    public static let protocolVersion = 1
}

public struct ControlResponse: Codable, Sendable {
    public var ok: Bool
    public var error: String?
    public var stateDirectory: String?
    public var pipelines: [PipelineStatus]

    public init(ok: Bool, error: String? = nil, stateDirectory: String? = nil, pipelines: [PipelineStatus] = []) {
        self.ok = ok
        self.error = error
        self.stateDirectory = stateDirectory
        self.pipelines = pipelines
    }
}

/// What the daemon knows about one pipeline file.
public struct PipelineStatus: Codable, Sendable {
    public enum State: String, Codable, Sendable {
        /// The file is invalid; `diagnostics` says why.
        case rejected
        /// The file is being read and checked (off the daemon's event loop, with a deadline).
        case validating
        case queued, running
        /// The last run finished (see `lastRun`).
        case idle
    }

    public struct Stage: Codable, Sendable {
        public var name: String
        public var plugin: String
        /// pending, cached, running, succeeded, failed, skipped, stopped.
        public var status: String
        public var done: Int?
        public var total: Int?
        public var unit: String?
        public var metrics: [String: Double]
        public var error: String?
        public var seconds: Double?

        public init(
            name: String, plugin: String, status: String, done: Int? = nil, total: Int? = nil, unit: String? = nil,
            metrics: [String: Double] = [:], error: String? = nil, seconds: Double? = nil
        ) {
            self.name = name
            self.plugin = plugin
            self.status = status
            self.done = done
            self.total = total
            self.unit = unit
            self.metrics = metrics
            self.error = error
            self.seconds = seconds
        }
    }

    public var file: String
    public var name: String?
    public var state: State
    /// `file:line:column: error: message` lines, when rejected.
    public var diagnostics: [String]
    public var runID: String?
    /// succeeded, failed or cancelled, for the last finished run.
    public var lastRun: String?
    public var stages: [Stage]

    public init(
        file: String, name: String?, state: State, diagnostics: [String] = [], runID: String? = nil,
        lastRun: String? = nil, stages: [Stage] = []
    ) {
        self.file = file
        self.name = name
        self.state = state
        self.diagnostics = diagnostics
        self.runID = runID
        self.lastRun = lastRun
        self.stages = stages
    }
}
