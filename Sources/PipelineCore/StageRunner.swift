import Foundation
import StageKit

/// How one attempt of a stage ended.
public enum StageOutcome: Sendable, Equatable {
    case succeeded(summary: JSONValue)
    case failed(String)
    /// The plugin stopped on request after checkpointing; running the same key again resumes it.
    case stopped
}

/// Runs stage plugins. The engine talks to plugins only through this, so tests can substitute it; the real
/// one is ``SubprocessStageRunner``.
public protocol StageRunner: Sendable {
    /// Asks an executable to describe itself.
    func describe(executable: String) async throws -> PluginDescription

    /// Runs one attempt of a stage. Cancelling the calling task asks the plugin to stop (SIGTERM), and kills
    /// it after a grace period. Never throws: every way a plugin can go wrong is a ``StageOutcome``.
    func run(
        plugin: PluginInfo, request: RunRequest, timeout: Double?, logFile: String,
        onEvent: @escaping @Sendable (StageEvent) -> Void
    ) async -> StageOutcome
}
