import ArgumentParser
import Foundation
import PipelineCore

@main
struct Finetunectl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetunectl",
        abstract: "Validate, plan, run and inspect finetuned pipelines.",
        discussion: """
            Runs pipelines in the foreground with the same engine as the finetuned daemon, over a state \
            directory that holds the artifact cache and run records.

            status, list, cancel, rerun and logs talk to the finetuned daemon over its control socket. predict runs \
            a multitask model on new text.

            Exit status: 0 success; 1 a stage failed, the cache has corrupt artifacts, or the daemon refused; \
            64 bad usage; 65 an invalid pipeline file or model folder; 66 an unreadable input file; 69 the daemon is unreachable; 70 an internal error; \
            130 interrupted.
            """,
        subcommands: [
            Validate.self, Plan.self, Run.self, Explain.self, Cache.self, Plugins.self,
            Status.self, List.self, Cancel.self, Rerun.self, Logs.self, ReportCommand.self, Predict.self,
        ])
}

/// Exit statuses, documented in `finetunectl --help` and docs/finetunectl.md.
enum Exit {
    static let stageFailed = ExitCode(1)
    static let invalidPipeline = ExitCode(65)
    static let internalError = ExitCode(70)
    static let interrupted = ExitCode(130)
}

/// Options every command that touches the engine shares.
struct EngineOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "State directory (cache, runs).", discussion: "Default: $FINETUNED_STATE_DIR, else $XDG_STATE_HOME/finetuned, else ~/.local/state/finetuned.",
            valueName: "dir"))
    var stateDir: String?

    @Option(
        name: .customLong("plugin-dir"),
        help: ArgumentHelp(
            "A folder to search for finetuned-stage-* plugins before the defaults (repeatable).", valueName: "dir"))
    var pluginDirs: [String] = []

    @Option(
        name: .customLong("data-root"),
        help: ArgumentHelp("Only allow data under this folder (repeatable; default: anywhere).", valueName: "dir"))
    var dataRoots: [String] = []

    var stateDirectory: String { Self.stateDirectory(stateDir) }

    /// `--state-dir`, else the default of the help text.
    static func stateDirectory(_ stateDir: String?) -> String {
        if let stateDir { return stateDir }
        let env = ProcessInfo.processInfo.environment
        if let dir = env["FINETUNED_STATE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/finetuned" }
        return NSHomeDirectory() + "/.local/state/finetuned"
    }

    func engine(jobs: Int = 2, threads: Int = 1) throws -> Engine {
        do {
            return try Engine(stateDirectory: stateDirectory, jobs: jobs, threadsPerStage: threads)
        } catch {
            throw failure("cannot use state directory '\(stateDirectory)': \(error)", code: Exit.internalError)
        }
    }

    func registry(_ engine: Engine) async -> PluginRegistry {
        await engine.discoverPlugins(directories: pluginDirs + PluginRegistry.defaultDirectories())
    }

    func validator(_ registry: PluginRegistry) -> PipelineValidator {
        PipelineValidator(
            registry: registry, resolver: DataResolver(allowedRoots: dataRoots.isEmpty ? nil : dataRoots))
    }

    /// Loads and validates one pipeline, printing every diagnostic on failure.
    func load(_ file: String, with validator: PipelineValidator) throws -> ValidatedPipeline {
        do {
            return try validator.validate(file: file)
        } catch let invalid as PipelineInvalid {
            printError(invalid.description)
            throw Exit.invalidPipeline
        }
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints `message` to stderr and returns an exit code to throw.
func failure(_ message: String, code: ExitCode) -> ExitCode {
    printError("finetunectl: \(message)")
    return code
}

/// JSON for `--json` output: pretty, sorted keys.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
