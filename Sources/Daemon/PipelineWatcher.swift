import CSystemd
import Foundation

/// What happened in a watched folder.
public enum WatchEvent: Sendable, Hashable {
    /// A pipeline file appeared or was written (after the debounce period).
    case changed(String)
    case removed(String)
    /// Events were lost (queue overflow) or a folder (re)appeared: look at everything again.
    case rescan
}

/// Watches pipeline folders with inotify: close-write and moved-to (atomic drops) mean changed, delete and
/// moved-from mean removed, `IN_Q_OVERFLOW` means rescan. Hidden, temporary and non-YAML files are ignored.
/// Events for one path are coalesced until it has been quiet for the debounce period.
public final class PipelineWatcher: @unchecked Sendable {
    public let events: AsyncStream<WatchEvent>
    private let continuation: AsyncStream<WatchEvent>.Continuation
    private let fd: Int32
    private var watches: [Int32: String] = [:]
    private var source: DispatchSourceRead?
    private let queue = DispatchQueue(label: "finetuned.watcher")
    private var pending: [String: (removed: Bool, at: DispatchTime)] = [:]
    private let debounce: DispatchTimeInterval

    public init(debounceMilliseconds: Int) throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw WatcherError("inotify_init1 failed: \(String(cString: strerror(errno)))") }
        debounce = .milliseconds(debounceMilliseconds)
        (events, continuation) = AsyncStream.makeStream(of: WatchEvent.self)
    }

    deinit {
        source?.cancel()
    }

    /// Watches `directories` (replacing earlier watches) and starts reading events. The corresponding C
    /// function is `inotify_add_watch`.
    public func watch(_ directories: [String]) throws {
        try watchWithoutReading(directories)
        startReading()
    }

    /// Sets up the watches only; events queue in the kernel until ``startReading()`` (tests use this to
    /// overflow the queue).
    func watchWithoutReading(_ directories: [String]) throws {
        try queue.sync {
            for wd in watches.keys { inotify_rm_watch(fd, wd) }
            watches = [:]
            for dir in directories {
                let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF)
                let wd = inotify_add_watch(fd, dir, mask)
                guard wd >= 0 else {
                    throw WatcherError("cannot watch '\(dir)': \(String(cString: strerror(errno)))")
                }
                watches[wd] = dir
            }
        }
    }

    func startReading() {
        queue.sync {
            if source == nil {
                let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
                s.setEventHandler { [weak self] in self?.readEvents() }
                s.setCancelHandler { [fd] in close(fd) }
                s.resume()
                source = s
            }
        }
    }

    public func stop() {
        queue.sync {
            source?.cancel()
            source = nil
            continuation.finish()
        }
    }

    /// Whether a file name in a watched folder is a pipeline (not hidden, not an editor's temporary file).
    public static func isPipelineFile(_ name: String) -> Bool {
        guard !name.hasPrefix("."), !name.hasSuffix("~") else { return false }
        return name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }

    /// At most this many pipeline files are taken from one folder (a folder of a million files must not
    /// stall a rescan).
    public static let maxFilesPerFolder = 4096

    /// The pipeline files currently in `directories` (at most ``maxFilesPerFolder`` each, by name).
    public static func scan(_ directories: [String]) -> [String] {
        directories.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter(isPipelineFile).sorted()
                .prefix(maxFilesPerFolder).map { dir + "/" + $0 }
        }
    }

    private func readEvents() {
        let size = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer, size)
            if n <= 0 { break }
            var offset = 0
            while offset + 16 <= n {
                // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[]; }
                let wd = buffer.load(fromByteOffset: offset, as: Int32.self)
                let mask = buffer.load(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(buffer.load(fromByteOffset: offset + 12, as: UInt32.self))
                let namePointer = buffer.advanced(by: offset + 16).assumingMemoryBound(to: CChar.self)
                let name = length > 0 ? String(cString: namePointer) : ""
                offset += 16 + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 || mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                    continuation.yield(.rescan)
                    continue
                }
                guard let dir = watches[wd], PipelineWatcher.isPipelineFile(name) else { continue }
                let removed = mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0
                let path = dir + "/" + name
                if removed && pending[path] == nil {
                    continuation.yield(.removed(path))
                } else {
                    pending[path] = (removed, .now())
                    queue.asyncAfter(deadline: .now() + debounce) { [weak self] in self?.flush(path) }
                }
            }
        }
    }

    private func flush(_ path: String) {
        guard let entry = pending[path], DispatchTime.now() >= entry.at + debounce else { return }
        pending[path] = nil
        continuation.yield(entry.removed ? .removed(path) : .changed(path))
    }
}

public struct WatcherError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}
