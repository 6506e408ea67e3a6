import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The client side of the control socket, for `finetunectl` (no libsystemd, no daemon code).
///
/// Every step is bounded: a daemon that does not answer within `timeout` gives ``ControlClientError/timedOut``,
/// one that closes the connection gives ``ControlClientError/noAnswer`` — never a bare JSON decoding error.
public enum ControlClient {
    public static func send(
        _ request: ControlRequest, to path: String, timeout: Duration = .seconds(15)
    ) throws(ControlClientError) -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unreachable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .unreachable(path: path, reason: "the socket path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        setTimeouts(fd, timeout)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw .unreachable(path: path, reason: String(cString: strerror(errno))) }
        var line: Data
        do {
            line = try JSONEncoder().encode(request)
        } catch {
            throw .malformedAnswer("cannot encode the request: \(error)")
        }
        line.append(0x0A)
        let sent = line.withUnsafeBytes { raw in ControlWire.writeAll(fd, raw) }
        if !sent, errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut(timeout) }
        // A write that failed otherwise (EPIPE): the daemon may have answered before reading and closed — as it
        // does to a client over its cap — so its answer can still be waiting here; only its absence is an error.
        switch ControlWire.readLine(fd, limit: 64 << 20) {
        case .line(let data):
            do {
                return try JSONDecoder().decode(ControlResponse.self, from: data)
            } catch {
                throw .malformedAnswer(String(decoding: data.prefix(200), as: UTF8.self))
            }
        case .timedOut: throw .timedOut(timeout)
        case .closed, .tooLong: throw .noAnswer
        }
    }

    /// Sets `SO_RCVTIMEO` and `SO_SNDTIMEO` of a socket.
    public static func setTimeouts(_ fd: Int32, _ timeout: Duration) {
        let micros = timeout.components.seconds * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000
        var tv = timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}

/// Why a control request got no usable answer.
public enum ControlClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreachable(path: String, reason: String)
    case timedOut(Duration)
    case noAnswer
    case malformedAnswer(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason):
            "cannot reach the daemon at \(path): \(reason) (is finetuned running? are you in its group? try --socket)"
        case .timedOut(let limit):
            "the daemon did not answer within \(limit) (it may be overloaded; try again, or see journalctl -u finetuned)"
        case .noAnswer: "the daemon closed the connection without answering (see journalctl -u finetuned)"
        case .malformedAnswer(let text): "the daemon's answer is not a control response: \(text.debugDescription)"
        }
    }
}

/// Bounded reads and writes of one JSON line on a socket whose timeouts are set (`SO_RCVTIMEO`/`SO_SNDTIMEO`).
public enum ControlWire {
    public enum Read: Equatable, Sendable {
        case line(Data)
        case timedOut
        case closed
        case tooLong
    }

    /// Reads up to the first newline, at most `limit` bytes.
    public static func readLine(_ fd: Int32, limit: Int) -> Read {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = data.firstIndex(of: 0x0A) { return .line(data[data.startIndex..<newline]) }
            if data.count > limit { return .tooLong }
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .timedOut : .closed
            }
            if n == 0 { return data.isEmpty ? .closed : .line(data) }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// Writes all of `bytes`; false when the peer is gone or the send timeout passed.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that went away must not kill the daemon with SIGPIPE.
            let n = Glibc.send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
