import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads small files a user controls (pipeline files, the daemon's configuration, model configs, checkpoint
/// manifests) without letting the file decide how long the read takes or how much it costs: it must be a regular
/// file (a FIFO would block, a device such as /dev/zero would never end), it is opened non-blocking, and at most
/// `maxBytes` are read.
public enum BoundedFile {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case cannotOpen(String)
        case notRegular(String)
        case tooLarge(Int, limit: Int)
        case readFailed(String)

        public var description: String {
            switch self {
            case .cannotOpen(let reason): "cannot open the file: \(reason)"
            case .notRegular(let kind): "not a regular file (\(kind)); pipeline files must be regular files"
            case .tooLarge(let size, let limit): "the file is \(size) bytes; at most \(limit) are allowed"
            case .readFailed(let reason): "cannot read the file: \(reason)"
            }
        }
    }

    /// The bytes of the regular file at `path`. With `followSymlinks == false` a symlink in the last component
    /// is refused (`O_NOFOLLOW`), as the daemon does for its watched folders.
    public static func read(_ path: String, maxBytes: Int, followSymlinks: Bool) throws(Failure) -> [UInt8] {
        var flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC
        if !followSymlinks { flags |= O_NOFOLLOW }
        let fd = open(path, flags)
        guard fd >= 0 else {
            if errno == ELOOP { throw .notRegular("a symbolic link") }
            throw .cannotOpen(String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .readFailed(String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notRegular(kindName(st.st_mode)) }
        if Int(st.st_size) > maxBytes { throw .tooLarge(Int(st.st_size), limit: maxBytes) }
        // The file may grow between fstat and read: read one byte past the limit to notice.
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in Glibc.read(fd, raw.baseAddress! + count, raw.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .readFailed(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            count += n
        }
        if count > maxBytes { throw .tooLarge(count, limit: maxBytes) }
        return Array(bytes[0..<count])
    }

    /// The bytes of the file at `path` as `Data`, or nil when there is no file there; throws for anything else
    /// (a directory, a FIFO, a device, a file larger than `maxBytes`, a read error). Symbolic links are followed
    /// (model folders are often links into a cache).
    public static func contentsIfPresent(_ path: String, maxBytes: Int) throws(Failure) -> Data? {
        var st = stat()
        if stat(path, &st) != 0 && errno == ENOENT { return nil }
        return Data(try read(path, maxBytes: maxBytes, followSymlinks: true))
    }

    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}
