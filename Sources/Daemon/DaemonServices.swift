import ControlProtocol
import Foundation
import Logging
import PipelineCore
import ServiceLifecycle
import UnixSignals

/// Watches the pipeline folders and feeds the supervisor; on graceful shutdown tells systemd `STOPPING=1`
/// and waits for running stages to checkpoint.
public struct SupervisorService: Service {
    let supervisor: PipelineSupervisor
    let watcher: PipelineWatcher
    let notifier: any Notifier

    public init(supervisor: PipelineSupervisor, watcher: PipelineWatcher, notifier: any Notifier) {
        self.supervisor = supervisor
        self.watcher = watcher
        self.notifier = notifier
    }

    public func run() async throws {
        await supervisor.rescan()
        for await event in watcher.events.cancelOnGracefulShutdown() {
            await supervisor.handle(event)
        }
        notifier.stopping()
        watcher.stop()
        await supervisor.shutdown()
    }
}

/// Serves the control socket until shutdown.
public struct ControlService: Service {
    let server: ControlServer

    public init(server: ControlServer) { self.server = server }

    public func run() async throws {
        try server.start()
        try? await gracefulShutdown()
        server.stop()
    }
}

/// Sends `WATCHDOG=1` at half the interval systemd asks for — but only after the supervisor answered, so a
/// wedged event loop stops the pings and systemd restarts the daemon.
public struct WatchdogService: Service {
    let interval: Duration
    let supervisor: PipelineSupervisor
    let notifier: any Notifier

    public init(interval: Duration, supervisor: PipelineSupervisor, notifier: any Notifier) {
        self.interval = interval
        self.supervisor = supervisor
        self.notifier = notifier
    }

    /// Listed first in the service group, it is shut down last: it keeps pinging while running stages
    /// checkpoint during shutdown.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if await supervisor.heartbeat() { notifier.watchdog() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval / 2) }
        }
    }
}

/// SIGHUP: `RELOADING=1`, reread the configuration and plugins, rescan the folders, `READY=1`. Running
/// stages are not interrupted.
public struct ReloadService: Service {
    let reload: @Sendable () async -> Void

    public init(reload: @escaping @Sendable () async -> Void) { self.reload = reload }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reload()
        }
    }
}
