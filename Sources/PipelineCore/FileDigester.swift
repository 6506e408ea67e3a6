import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// SHA-256 of files, memoised by (path, size, mtime, inode, ctime) so an unchanged multi-GB corpus is hashed once.
///
/// The memo lives in one JSON file under the state directory, updated by atomic rename. Two processes that race
/// on it only lose memo entries, never correctness: a missing entry means "hash again".
public final class FileDigester: @unchecked Sendable {
    struct Stamp: Codable, Hashable {
        var size: Int64
        var mtimeNanos: Int64
        var ctimeNanos: Int64
        var inode: UInt64
    }

    struct Entry: Codable {
        var stamp: Stamp
        var digest: String
    }

    private let memoPath: String?
    private let lock = NSLock()
    private var memo: [String: Entry] = [:]
    private var dirty = false
    /// Bytes hashed (not served from the memo) since creation, for tests and statistics.
    public private(set) var bytesHashed: Int64 = 0

    /// - Parameter memoPath: where to keep the memo, or `nil` to hash every time.
    /// Entries the memo keeps: past this, entries of files that changed or vanished go first, then those of
    /// the least recently modified files.
    public let maxEntries: Int

    public init(memoPath: String?, maxEntries: Int = 100_000) {
        self.memoPath = memoPath
        self.maxEntries = max(1, maxEntries)
        // Bounded like any file the daemon reads: a memo too large to be its own is ignored (and rewritten).
        if let memoPath, let bytes = try? BoundedFile.read(memoPath, maxBytes: 64 << 20, followSymlinks: false),
            let loaded = try? JSONDecoder().decode([String: Entry].self, from: Data(bytes))
        {
            memo = loaded
        }
    }

    /// Number of memoised digests.
    public var count: Int { lock.withLock { memo.count } }

    /// The hex SHA-256 of the file's bytes. With `descriptor`, of that open file (stamp and bytes both; the
    /// memo is still keyed by `path`), so that what is hashed is what was opened.
    public func digest(ofFile path: String, descriptor: Int32? = nil) throws -> String {
        let stamp = try descriptor.map { try FileDigester.stamp(descriptor: $0, path) } ?? FileDigester.stamp(path)
        if let hit = lock.withLock({ memo[path] }), hit.stamp == stamp { return hit.digest }
        let digest = try descriptor.map { try FileDigester.sha256(descriptor: $0, path) } ?? FileDigester.sha256(ofFile: path)
        lock.withLock {
            bytesHashed += stamp.size
            // A file modified within the clock's resolution could change again without a visible mtime change.
            if Double(stamp.mtimeNanos) / 1e9 < Date().timeIntervalSince1970 - 2 {
                memo[path] = Entry(stamp: stamp, digest: digest)
                dirty = true
            }
        }
        return digest
    }

    /// Writes the memo back if it changed.
    public func save() {
        guard let memoPath else { return }
        let data: Data? = lock.withLock {
            guard dirty else { return nil }
            dirty = false
            prune()
            return try? JSONEncoder().encode(memo)
        }
        if let data { try? AtomicFile.write(data, to: memoPath) }
    }

    /// Keeps the memo within ``maxEntries`` (called under the lock).
    private func prune() {
        guard memo.count > maxEntries else { return }
        for (path, entry) in memo where (try? FileDigester.stamp(path)) != entry.stamp { memo[path] = nil }
        guard memo.count > maxEntries else { return }
        let oldest = memo.sorted { $0.value.stamp.mtimeNanos < $1.value.stamp.mtimeNanos }.prefix(memo.count - maxEntries)
        for (path, _) in oldest { memo[path] = nil }
    }

    static func stamp(_ path: String) throws -> Stamp {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw EngineError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        return stamp(st)
    }

    static func stamp(descriptor: Int32, _ path: String) throws -> Stamp {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else {
            throw EngineError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        return stamp(st)
    }

    private static func stamp(_ st: stat) -> Stamp {
        Stamp(
            size: Int64(st.st_size),
            mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            ctimeNanos: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
            inode: UInt64(st.st_ino))
    }

    /// The hex SHA-256 of bytes in memory.
    public static func sha256(data: Data) -> String { SHA256.hash(data: data).hex }

    /// Streams the file through SHA-256 in 1 MiB reads.
    public static func sha256(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EngineError("cannot open '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return try sha256(descriptor: fd, path)
    }

    /// Streams an open file through SHA-256 from its start (positioned reads: the descriptor's offset is
    /// left alone); `path` names it in errors.
    public static func sha256(descriptor fd: Int32, _ path: String) throws -> String {
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256()
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let n = pread(fd, buffer.baseAddress, size, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw EngineError("cannot read '\(path)': \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            offset += off_t(n)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize().hex
    }
}

extension Sequence where Element == UInt8 {
    var hex: String {
        var s = ""
        for byte in self {
            s += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return s
    }
}

/// SHA-256 of a string, hex.
func sha256Hex(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).hex }

/// Writes files so that readers see the old content or the new, never a mix.
public enum AtomicFile {
    /// Replaces `path` with `data` by writing a temporary file and renaming it. `durable` also flushes the data
    /// to disk before the rename (for what must survive a power loss: manifests); records and memos need not.
    public static func write(_ data: Data, to path: String, durable: Bool = false) throws {
        let temp = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temp, contents: data) else {
            throw EngineError("cannot write '\(temp)'")
        }
        if durable {
            let fd = open(temp, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                fsync(fd)
                close(fd)
            }
        }
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw EngineError("cannot rename '\(temp)' to '\(path)': \(reason)")
        }
    }

    public static func write(_ text: String, to path: String, durable: Bool = false) throws {
        try write(Data(text.utf8), to: path, durable: durable)
    }
}
