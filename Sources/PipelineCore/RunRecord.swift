import Foundation
import StageKit

/// The record of one run of a pipeline: `runs/<pipeline>/<run-id>/run.json`, rewritten atomically as stages
/// progress, next to `events.jsonl` (every event, one JSON object per line) and `<stage>.log` (plugin stderr).
public struct RunRecord: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case running, succeeded, failed, cancelled
    }

    public struct Stage: Codable, Sendable {
        public enum Status: String, Codable, Sendable {
            /// Waiting for upstream stages or a free slot.
            case pending
            /// Its artifact was already in the cache.
            case cached
            case running, succeeded, failed
            /// Not run because an upstream stage failed or the run was cancelled.
            case skipped
            /// Stopped on request after checkpointing; the next run resumes it.
            case stopped
        }
        public var name: String
        public var plugin: String
        public var status: Status
        public var key: String?
        public var reason: String?
        public var started: String?
        public var seconds: Double?
        public var progress: Progress?
        public var metrics: [String: Double]
        public var summary: JSONValue?
        public var error: String?
    }

    public struct Progress: Codable, Sendable, Hashable {
        public var done: Int
        public var total: Int?
        public var unit: String

        public init(done: Int, total: Int?, unit: String) {
            self.done = done
            self.total = total
            self.unit = unit
        }
    }

    public var runID: String
    public var pipeline: String
    public var file: String
    public var status: Status
    public var started: String
    public var finished: String?
    public var stages: [Stage]

    public func stage(_ name: String) -> Stage? { stages.first { $0.name == name } }

    /// Stages that actually executed a plugin in this run.
    public var executed: [String] {
        stages.filter { [.succeeded, .failed, .stopped].contains($0.status) }.map(\.name)
    }

    static func newID(at date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date) + "-" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
    }
}

/// What a run reports as it goes, to the terminal (finetunectl) or to systemd and the journal (the daemon).
public enum EngineEvent: Sendable {
    case runStarted(RunRecord)
    case stageStarted(stage: String, key: String, resumed: Bool)
    case stageCached(stage: String, key: String)
    case stageEvent(stage: String, StageEvent)
    case stageFinished(stage: String, RunRecord.Stage)
    case runFinished(RunRecord)
}

/// Receives engine events; called from several tasks at once.
public protocol RunObserver: Sendable {
    func handle(_ event: EngineEvent)
}

/// The current artifact of each stage of each pipeline (`index/<pipeline>.json`): what `plan` and `explain`
/// compare against and what `cache gc` keeps.
public struct PipelineIndex: Codable, Sendable {
    public var pipeline: String
    public var file: String
    public var updated: String
    /// Stage name → key of its latest artifact.
    public var stages: [String: String]

    static func path(state: String, pipeline: String) -> String { "\(state)/index/\(pipeline).json" }

    static func load(state: String, pipeline: String) -> PipelineIndex? {
        guard let data = FileManager.default.contents(atPath: path(state: state, pipeline: pipeline)) else { return nil }
        return try? JSONDecoder().decode(PipelineIndex.self, from: data)
    }

    static func all(state: String) -> [PipelineIndex] {
        let dir = state + "/index"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().compactMap { name in
            guard name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: dir + "/" + name) else { return nil }
            return try? JSONDecoder().decode(PipelineIndex.self, from: data)
        }
    }

    func save(state: String) throws {
        try FileManager.default.createDirectory(atPath: state + "/index", withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: Self.path(state: state, pipeline: pipeline))
    }
}

func isoNow() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date())
}
