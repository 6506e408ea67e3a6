import ArgumentParser
import ControlProtocol
import Daemon
import Foundation
import Logging
import PipelineCore
import ServiceLifecycle

/// The daemon: keeps the pipelines dropped into its folders up to date. Its `run` reads as the list of steps.
@main
struct Finetuned: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetuned",
        abstract: "Fine-tune transformer models on several tasks: a systemd service that runs YAML pipelines.",
        discussion: """
            Watches its pipeline folders (default /var/lib/finetuned/pipelines); every new or changed pipeline \
            file is validated and run, only stale stages executing. Controlled with systemctl \
            (start/stop/reload) and finetunectl (status, cancel, rerun, logs). See docs/daemon.md.
            """)

    @Option(help: ArgumentHelp("Configuration file.", valueName: "file"))
    var config = "/etc/finetuned/finetuned.yaml"

    @Option(help: ArgumentHelp("State directory (overrides state_dir).", valueName: "dir"))
    var stateDir: String?

    func run() async throws {
        // 1. Logging: the journal's native protocol under systemd, plain stderr otherwise.
        let journal = stderrIsJournal()
        LoggingSystem.bootstrap { label in
            journal ? JournalLogHandler(identifier: "finetuned") as any LogHandler : StderrLogHandler()
        }
        let notifier = SystemdNotifier()

        // 2. Configuration.
        let configuration = try loadConfiguration(logger: Logger(label: "finetuned"))
        var mutableLogger = Logger(label: "finetuned")
        mutableLogger.logLevel = configuration.logLevel
        let logger = mutableLogger

        // 3. State, engine, plugins.
        for dir in [configuration.stateDirectory] + configuration.pipelineDirectories {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let runner = SubprocessStageRunner(
            gracePeriod: .milliseconds(Int64(min(configuration.stopGraceSeconds, 3600) * 1000)),
            environment: ["FINETUNED_CHECKPOINT_SECONDS": String(configuration.checkpointInterval)])
        let engine = try Engine(
            stateDirectory: configuration.stateDirectory, runner: runner, jobs: configuration.jobsPerRun,
            threadsPerStage: configuration.threadsPerStage)
        let registry = await engine.discoverPlugins(directories: configuration.pluginDirectories + [Self.ownDirectory])
        for (path, reason) in registry.broken { logger.warning("plugin \(path) not usable: \(reason)") }
        logger.info("plugins: \(registry.names.joined(separator: ", "))")

        // 4. The services.
        let supervisor = PipelineSupervisor(
            configuration: configuration, engine: engine, registry: registry, logger: logger, notifier: notifier)
        let watcher = try PipelineWatcher(debounceMilliseconds: configuration.debounceMilliseconds)
        try watcher.watch(configuration.pipelineDirectories)
        let state = configuration.stateDirectory
        let server = ControlServer(path: configuration.controlSocket, group: configuration.controlGroup) { request in
            await Self.answer(request, supervisor: supervisor, stateDirectory: state)
        }
        let configFile = config
        let override = stateDir
        let reload = ReloadService {
            notifier.reloading()
            logger.notice("reloading configuration from \(configFile)")
            do {
                let fresh = try DaemonConfiguration.load(file: configFile, stateDirectoryOverride: override)
                let plugins = await engine.discoverPlugins(directories: fresh.pluginDirectories + [Self.ownDirectory])
                try watcher.watch(fresh.pipelineDirectories)
                await supervisor.reconfigure(fresh, registry: plugins)
            } catch {
                logger.error("reload failed, keeping the previous configuration: \(error)")
                await supervisor.rescan()
            }
            notifier.ready(status: "reloaded")
        }
        var services: [any Service] = []
        if let interval = SystemdNotifier.watchdogInterval() {
            services.append(WatchdogService(interval: interval, supervisor: supervisor, notifier: notifier))
        }
        services += [
            SupervisorService(supervisor: supervisor, watcher: watcher, notifier: notifier),
            ControlService(server: server), reload,
        ]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))

        // 5. Ready.
        notifier.ready(status: "starting: scanning \(configuration.pipelineDirectories.joined(separator: ", "))")
        logger.notice(
            "finetuned ready: watching \(configuration.pipelineDirectories.joined(separator: ", ")), control socket \(configuration.controlSocket)",
            metadata: ["MESSAGE_ID": "\(MessageID.daemonReady)"])
        try await group.run()
        logger.notice("finetuned stopped")
    }

    func loadConfiguration(logger: Logger) throws -> DaemonConfiguration {
        do {
            return try DaemonConfiguration.load(file: config, stateDirectoryOverride: stateDir)
        } catch let invalid as PipelineInvalid {
            for d in invalid.diagnostics { logger.critical("invalid configuration: \(d.description)") }
            throw ExitCode(78)  // EX_CONFIG
        }
    }

    /// Plugins installed next to the daemon (the build folder in development).
    static var ownDirectory: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    static func answer(_ request: ControlRequest, supervisor: PipelineSupervisor, stateDirectory: String) async -> ControlResponse {
        switch request {
        case .status(let name):
            let pipelines = await supervisor.status(pipeline: name)
            if let name, pipelines.isEmpty {
                return ControlResponse(ok: false, error: "no pipeline named '\(name)'", stateDirectory: stateDirectory)
            }
            return ControlResponse(ok: true, stateDirectory: stateDirectory, pipelines: pipelines)
        case .cancel(let name):
            let ok = await supervisor.cancel(pipeline: name)
            return ControlResponse(ok: ok, error: ok ? nil : "no active run of a pipeline named '\(name)'", stateDirectory: stateDirectory)
        case .rerun(let name):
            let ok = await supervisor.rerun(pipeline: name)
            return ControlResponse(ok: ok, error: ok ? nil : "no valid pipeline named '\(name)'", stateDirectory: stateDirectory)
        }
    }
}
