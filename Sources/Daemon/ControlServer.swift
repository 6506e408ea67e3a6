import ControlProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The control API on a unix stream socket: one JSON request line in, one JSON response line out.
/// Access is by file permission: the socket is mode 0660, owned by the configured group.
public final class ControlServer: @unchecked Sendable {
    public typealias Handler = @Sendable (ControlRequest) async -> ControlResponse
    public let path: String
    private let group: String
    private let handler: Handler
    private var listener: Int32 = -1
    private let lock = NSLock()

    public init(path: String, group: String, handler: @escaping Handler) {
        self.path = path
        self.group = group
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
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return  // closed by stop()
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // plugins spawned meanwhile must not inherit it
            let thread = Thread { [weak self] in self?.serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !data.contains(0x0A), data.count < 1 << 20 {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        let line = data.split(separator: 0x0A).first ?? Data()
        let response: ControlResponse
        if let request = try? JSONDecoder().decode(ControlRequest.self, from: line) {
            let box = ResponseBox()
            let done = DispatchSemaphore(value: 0)
            let handler = self.handler
            Task {
                box.value = await handler(request)
                done.signal()
            }
            done.wait()
            response = box.value!
        } else {
            response = ControlResponse(ok: false, error: "malformed request; expected one JSON line (docs/daemon.md)")
        }
        guard var out = try? JSONEncoder().encode(response) else { return }
        out.append(0x0A)
        out.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(client, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

private final class ResponseBox: @unchecked Sendable {
    var value: ControlResponse?
}

public struct ControlServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}

/// The client side, for `finetunectl`.
public enum ControlClient {
    public static func send(_ request: ControlRequest, to path: String) throws -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlServerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw ControlServerError("socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw ControlServerError(
                "cannot reach the daemon at \(path): \(String(cString: strerror(errno))) "
                    + "(is finetuned running? are you in its group? try --socket)")
        }
        var line = try JSONEncoder().encode(request)
        line.append(0x0A)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return try JSONDecoder().decode(ControlResponse.self, from: data.split(separator: 0x0A).first ?? Data())
    }
}
