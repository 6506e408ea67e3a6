import Foundation
import Testing

@testable import Daemon

#if canImport(Glibc)
    import Glibc
#endif

/// sd_notify datagrams, read from a socket the test binds as `$NOTIFY_SOCKET`.
@Suite(.serialized) struct SystemdNotifierTests {
    /// Binds a datagram socket, points NOTIFY_SOCKET at it, runs `body`, returns the datagrams received.
    func capture(_ body: () -> Void) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString).sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        setenv("NOTIFY_SOCKET", path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        body()
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { break }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
        return messages
    }

    @Test func readyCarriesTheStatusLine() throws {
        let messages = try capture { SystemdNotifier().ready(status: "idle, 3 pipelines up to date") }
        #expect(messages == ["READY=1\nSTATUS=idle, 3 pipelines up to date"])
    }

    @Test func reloadingCarriesTheMonotonicTime() throws {
        let messages = try capture { SystemdNotifier().reloading() }
        #expect(messages.count == 1)
        let fields = messages[0].split(separator: "\n")
        #expect(fields.first == "RELOADING=1")
        let usec = fields.first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst(15)) }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        #expect(usec != nil && usec! <= UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000)
    }

    @Test func statusNewlinesCannotInjectAssignments() throws {
        let messages = try capture { SystemdNotifier().status("a\nREADY=1") }
        #expect(messages == ["STATUS=a READY=1"])
    }

    @Test func nothingIsSentWithoutNotifySocket() {
        unsetenv("NOTIFY_SOCKET")
        SystemdNotifier().watchdog()  // must not crash or block
    }
}
