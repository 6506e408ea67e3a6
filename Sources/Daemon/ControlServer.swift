import CSystemd
import ControlProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The control API on a unix stream socket: one JSON request line in, one JSON response line out.
/// Access is by file permission: the socket is mode 0660, owned by the configured group.
///
/// Every client costs a bounded amount: at most ``maxClients`` are served at once (the next one is told the
/// daemon is busy and closed), a request must arrive within ``ioTimeout``, the answer is written within it,
/// and the handler (the supervisor) gets ``answerTimeout`` before the client is told to try again.
/// Connections are accepted with `SOCK_CLOEXEC`, so a plugin spawned meanwhile never inherits one.
public final class ControlServer: @unchecked Sendable {
    public typealias Handler = @Sendable (ControlRequest) async -> ControlResponse
    public let path: String
    private let group: String
    private let handler: Handler
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var clients = 0
    public let maxClients: Int
    public let ioTimeout: Duration
    public let answerTimeout: Duration

    public init(
        path: String, group: String, maxClients: Int = 16, ioTimeout: Duration = .seconds(2),
        answerTimeout: Duration = .seconds(5), handler: @escaping Handler
    ) {
        self.path = path
        self.group = group
        self.maxClients = max(1, maxClients)
        self.ioTimeout = ioTimeout
        self.answerTimeout = answerTimeout
        self.handler = handler
    }

    /// Binds the socket and starts accepting connections on a thread of its own.
    public func start() throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlServerError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw ControlServerError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ControlServerError("cannot listen on \(path): \(reason)")
        }
        chmod(path, 0o660)
        if !group.isEmpty, let g = getgrnam(group) { chown(path, getuid(), g.pointee.gr_gid) }
        lock.withLock { listener = fd }
        let thread = Thread { [weak self] in self?.acceptLoop(fd) }
        thread.name = "finetuned-control"
        thread.start()
    }

    public func stop() {
        let fd = lock.withLock { () -> Int32 in
            let fd = listener
            listener = -1
            return fd
        }
        if fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            unlink(path)
        }
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            // accept4 with SOCK_CLOEXEC: setting FD_CLOEXEC after accept races with plugin spawns.
            let client = finetuned_accept_cloexec(fd)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    usleep(100_000)  // out of descriptors: let running clients finish rather than spin
                    continue
                }
                return  // closed by stop()
            }
            ControlClient.setTimeouts(client, ioTimeout)
            let admitted = lock.withLock {
                guard clients < maxClients else { return false }
                clients += 1
                return true
            }
            guard admitted else {
                respond(client, ControlResponse(ok: false, error: "the daemon is serving \(maxClients) clients; try again"))
                close(client)
                continue
            }
            let thread = Thread { [weak self] in
                self?.serve(client)
                self?.lock.withLock { self?.clients -= 1 }
            }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        let response: ControlResponse
        switch ControlWire.readLine(client, limit: 64 << 10) {
        case .line(let line):
            if let request = try? JSONDecoder().decode(ControlRequest.self, from: line) {
                response = answer(request)
            } else {
                response = ControlResponse(ok: false, error: "malformed request; expected one JSON line (docs/daemon.md)")
            }
        case .tooLong:
            response = ControlResponse(ok: false, error: "request longer than 64 KiB")
        case .timedOut:
            response = ControlResponse(ok: false, error: "no request within \(ioTimeout)")
        case .closed:
            return
        }
        respond(client, response)
    }

    /// The handler's answer, or "busy" if it takes longer than ``answerTimeout`` (the handler goes on; its
    /// late answer is dropped).
    private func answer(_ request: ControlRequest) -> ControlResponse {
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let handler = self.handler
        Task {
            let value = await handler(request)
            box.set(value)
            done.signal()
        }
        let seconds = Double(answerTimeout.components.seconds) + Double(answerTimeout.components.attoseconds) / 1e18
        if done.wait(timeout: .now() + seconds) == .success, let value = box.get() { return value }
        return ControlResponse(
            ok: false, error: "the daemon is busy (no answer within \(answerTimeout)); try again")
    }

    private func respond(_ client: Int32, _ response: ControlResponse) {
        guard var out = try? JSONEncoder().encode(response) else { return }
        out.append(0x0A)
        _ = out.withUnsafeBytes { ControlWire.writeAll(client, $0) }
    }
}

private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: ControlResponse?
    func set(_ v: ControlResponse) { lock.withLock { value = v } }
    func get() -> ControlResponse? { lock.withLock { value } }
}

public struct ControlServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}

