import ControlProtocol
import Foundation
import PipelineCore
import TestSupport
import Testing

@testable import Daemon

/// The control socket under slow, silent and numerous clients, and the client's answers when the daemon is
/// slow or gone (issue 8, items 4 and 12).
@Suite struct ControlServerTests {
    final class Folder: TemporaryFolder, @unchecked Sendable {
        init() throws { try super.init(prefix: "ctl") }
        var socket: String { root + "/c.sock" }
    }

    /// A raw connection to `path` (for clients that misbehave).
    /// A stream socket and the `sockaddr_un` for `path`, passed to `body` (`bind` or `connect`).
    static func unixSocket(_ path: String, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> (
        fd: Int32, result: Int32
    ) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return (fd, r)
    }

    static func connect(_ path: String) -> Int32 {
        let (fd, r) = unixSocket(path) { Glibc.connect($0, $1, $2) }
        #expect(r == 0)
        return fd
    }

    /// A listening socket at `path` that nobody serves (connections wait in its backlog).
    static func listener(_ path: String) -> Int32 {
        let (fd, r) = unixSocket(path) { bind($0, $1, $2) }
        #expect(r == 0)
        listen(fd, 4)
        return fd
    }

    @Test func aSupervisorThatDoesNotAnswerGivesAClearBusyAnswer() async throws {
        let folder = try Folder()
        let server = ControlServer(path: folder.socket, group: "", answerTimeout: .milliseconds(200)) { _ in
            try? await Task.sleep(for: .seconds(5))
            return ControlResponse(ok: true)
        }
        try server.start()
        defer { server.stop() }
        let response = try await offThePool { try ControlClient.send(.status(pipeline: nil), to: folder.socket) }
        #expect(response.ok == false)
        #expect(response.error?.contains("the daemon is busy") == true)
    }

    @Test func aDaemonThatNeverAnswersTimesOutWithAClearError() async throws {
        let folder = try Folder()
        // A listener that accepts (in the backlog) and never reads or writes.
        let fd = Self.listener(folder.socket)
        defer { close(fd) }
        let path = folder.socket
        let error = try await offThePool { () -> ControlClientError? in
            do {
                _ = try ControlClient.send(.status(pipeline: nil), to: path, timeout: .milliseconds(300))
                return nil
            } catch let e as ControlClientError { return e } catch { return nil }
        }
        #expect(error == .timedOut(.milliseconds(300)))
        #expect(error?.description.contains("did not answer within") == true)
    }

    @Test func aDaemonThatClosesTheConnectionIsNotAJSONError() async throws {
        let folder = try Folder()
        let fd = Self.listener(folder.socket)
        defer { close(fd) }
        Thread {
            let c = accept(fd, nil, nil)
            close(c)
        }.start()
        let path = folder.socket
        let error = try await offThePool { () -> ControlClientError? in
            do {
                _ = try ControlClient.send(.status(pipeline: nil), to: path, timeout: .seconds(5))
                return nil
            } catch let e as ControlClientError { return e } catch { return nil }
        }
        #expect(error == .noAnswer)
    }

    @Test func clientsBeyondTheCapAreToldTheDaemonIsBusy() async throws {
        let folder = try Folder()
        let server = ControlServer(path: folder.socket, group: "", maxClients: 2, ioTimeout: .seconds(30)) { _ in
            ControlResponse(ok: true)
        }
        try server.start()
        defer { server.stop() }
        // Two silent clients hold both slots (each would be dropped after ioTimeout).
        let silent = [Self.connect(folder.socket), Self.connect(folder.socket)]
        defer { for fd in silent { close(fd) } }
        try await Task.sleep(for: .milliseconds(200))  // let the server accept them
        let response = try await offThePool { try ControlClient.send(.status(pipeline: nil), to: folder.socket) }
        #expect(response.ok == false)
        #expect(response.error == "the daemon is serving 2 clients; try again")
        // Once they leave, requests are served again.
        for fd in silent { shutdown(fd, Int32(SHUT_RDWR)) }
        var served = false
        for _ in 0..<100 where !served {
            try await Task.sleep(for: .milliseconds(20))
            served = (try? await offThePool { try ControlClient.send(.status(pipeline: nil), to: folder.socket) })?.ok == true
        }
        #expect(served)
    }

    @Test func aSilentClientIsDroppedAfterTheIOTimeout() async throws {
        let folder = try Folder()
        let server = ControlServer(path: folder.socket, group: "", ioTimeout: .milliseconds(200)) { _ in ControlResponse(ok: true) }
        try server.start()
        defer { server.stop() }
        let fd = Self.connect(folder.socket)
        defer { close(fd) }
        ControlClient.setTimeouts(fd, .seconds(20))
        // The server answers "no request" and closes, long before our own 20 s timeout.
        let read = try await offThePool { ControlWire.readLine(fd, limit: 1 << 16) }
        guard case .line(let data) = read else { return #expect(Bool(false), "got \(read)") }
        let response = try JSONDecoder().decode(ControlResponse.self, from: data)
        #expect(response.error?.hasPrefix("no request within") == true)
    }

    /// The socket inodes bound to `path` (the listener and the connections it accepted: /proc/net/unix lists
    /// an accepted connection under its listener's path).
    static func socketInodes(boundTo path: String) -> Set<String> {
        guard let table = try? String(contentsOfFile: "/proc/net/unix", encoding: .utf8) else { return [] }
        var out = Set<String>()
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 8, fields[7] == path { out.insert(String(fields[6])) }
        }
        return out
    }

    /// This process's descriptors that are one of `inodes`.
    static func descriptors(of inodes: Set<String>) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { name in
            guard let fd = Int32(name), let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")
            else { return nil }
            return inodes.contains { target == "socket:[\($0)]" } ? fd : nil
        }
    }

    /// The listener and every accepted connection are close-on-exec from the start (accept4 with
    /// SOCK_CLOEXEC), and a plugin spawned while a client is connected inherits none of them: it has only its
    /// standard descriptors (issue 8, item 12).
    @Test func theSocketsDescriptorsAreCloseOnExecAndNoPluginInheritsThem() async throws {
        let folder = try Folder()
        let server = ControlServer(path: folder.socket, group: "", ioTimeout: .seconds(30)) { _ in ControlResponse(ok: true) }
        try server.start()
        defer { server.stop() }
        let client = Self.connect(folder.socket)  // silent: the server holds the accepted connection open
        defer { close(client) }
        // A connection waiting in the backlog is listed under the path too: wait until this process holds it.
        var inodes = Set<String>()
        var held: [Int32] = []
        for _ in 0..<1000 where held.count < 2 {
            inodes = Self.socketInodes(boundTo: folder.socket)
            held = Self.descriptors(of: inodes)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(held.count == 2, "listener and accepted connection: inodes \(inodes), held \(held)")
        for fd in held { #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0, "descriptor \(fd) is inherited by children") }

        try "version: 1\nname: fds\nstages:\n  list: {plugin: testkit, with: {mode: fds}}\n"
            .write(toFile: folder.root + "/p.yaml", atomically: true, encoding: .utf8)
        let engine = try Engine(stateDirectory: folder.root + "/state", runner: SubprocessStageRunner(gracePeriod: .seconds(2)))
        let registry = await engine.discoverPlugins(directories: [BuildProducts.directory(containing: "finetuned-stage-testkit")])
        let pipeline = try PipelineValidator(registry: registry).validate(file: folder.root + "/p.yaml")
        let record = try await engine.run(pipeline)
        #expect(record.stages.map(\.status) == [.succeeded])
        let key = try #require(record.stages.first?.key)
        let artifact = try #require(engine.store.lookup(key))
        let listing = try String(contentsOfFile: artifact.filesDirectory + "/result.txt", encoding: .utf8)
        let lines = listing.split(separator: "\n").dropFirst()  // after the "ok" output line
        // 0-2 are the request file and the two pipes; anything else is the plugin's own (its runtime's eventfd
        // and epoll), never a socket of the daemon's.
        let descriptors = lines.compactMap { line -> (Int32, String)? in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let fd = Int32(parts[0]) else { return nil }
            return (fd, String(parts[1]))
        }
        #expect(descriptors.prefix(3).map(\.0) == [0, 1, 2], "\(listing)")
        #expect(descriptors.dropFirst(3).allSatisfy { $0.1.hasPrefix("anon_inode:") }, "\(listing)")
        #expect(!listing.contains("socket:"), "\(listing)")
        #expect(!inodes.contains { listing.contains("socket:[\($0)]") })
    }
}
