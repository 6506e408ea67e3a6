import COpenat2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Opens a file below a directory descriptor without following any symbolic link on the way, so that what is
/// opened is inside that directory however the tree changes meanwhile (issue 8, item 7).
///
/// `openat2(2)` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS` where the kernel has it
/// (Linux 5.6); where it answers `ENOSYS` (or a seccomp filter's `EPERM`), the same walk by hand: one `openat(O_NOFOLLOW)` per component,
/// `.` and `..` refused. The paths opened are real paths (the engine resolved them, `realpath(3)`), so a
/// symbolic link met now was put there after resolution, and refusing it is the point.
public enum BeneathOpen {
    public enum Method: Sendable, Equatable {
        /// `openat2` where available, the component walk where the kernel lacks it.
        case automatic
        /// Always the component walk (tests of the fallback).
        case componentWalk
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The path meets a symbolic link, `..`, or would leave the directory.
        case escapes
        /// Opening failed for another reason (`errno`'s text).
        case system(Int32)

        public var description: String {
            switch self {
            case .escapes: "it goes through a symbolic link or out of the data root"
            case .system(let code): String(cString: strerror(code))
            }
        }
    }

    /// A descriptor (close-on-exec) for `relative` below `root`: a directory when `directory`, otherwise
    /// opened for reading (non-blocking, so a FIFO cannot block it; callers check the file type).
    public static func open(_ relative: String, beneath root: Int32, directory: Bool, method: Method = .automatic)
        -> Result<Int32, Failure>
    {
        let components = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.contains("..") else { return .failure(.escapes) }
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (directory ? O_DIRECTORY : 0)
        if method == .automatic {
            let path = components.isEmpty ? "." : components.joined(separator: "/")
            let resolve = copenat2_resolve_beneath | copenat2_resolve_no_symlinks | copenat2_resolve_no_magiclinks
            let fd = copenat2_open(root, path, UInt64(flags), 0, resolve)
            if fd >= 0 { return .success(fd) }
            // ENOSYS: a kernel before 5.6; EPERM: a seccomp filter that does not know openat2 (systemd's
            // SystemCallErrorNumber=EPERM) — opening a regular file or folder read-only gives it otherwise never.
            if errno != ENOSYS && errno != EPERM {
                return .failure(errno == ELOOP || errno == EXDEV ? .escapes : .system(errno))
            }
        }
        return walk(components.filter { $0 != "." }, beneath: root, flags: flags)
    }

    /// The fallback: each folder opened `copenat2_o_path | O_DIRECTORY | O_NOFOLLOW` from the previous one (a symbolic
    /// link is then not a directory: `ENOTDIR`), the last component `O_NOFOLLOW` (`ELOOP` for a link).
    static func walk(_ components: [String], beneath root: Int32, flags: Int32) -> Result<Int32, Failure> {
        var current = fcntl(root, F_DUPFD_CLOEXEC, 0)
        guard current >= 0 else { return .failure(.system(errno)) }
        guard let last = components.last else {
            defer { close(current) }
            let fd = openat(current, ".", flags)
            return fd >= 0 ? .success(fd) : .failure(.system(errno))
        }
        for component in components.dropLast() {
            let next = openat(current, component, copenat2_o_path | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            close(current)
            guard next >= 0 else { return .failure(code == ENOTDIR || code == ELOOP ? .escapes : .system(code)) }
            current = next
        }
        defer { close(current) }
        let fd = openat(current, last, flags | O_NOFOLLOW)
        guard fd >= 0 else {
            return .failure(
                errno == ELOOP || (errno == ENOTDIR && flags & O_DIRECTORY != 0) ? .escapes : .system(errno))
        }
        return .success(fd)
    }
}
