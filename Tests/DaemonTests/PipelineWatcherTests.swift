import Foundation
import Testing

@testable import Daemon

/// inotify on a real folder: atomic drops, in-place writes, bursts, removal, ignored names, overflow.
@Suite struct PipelineWatcherTests {
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Collects events until `count` arrived or `timeout` passed; returns what arrived.
    func collect(_ watcher: PipelineWatcher, count: Int, timeout: Double = 5) async -> [WatchEvent] {
        final class Box: @unchecked Sendable {
            let lock = NSLock()
            var events: [WatchEvent] = []
        }
        let box = Box()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await e in watcher.events {
                    let n = box.lock.withLock {
                        box.events.append(e)
                        return box.events.count
                    }
                    if n >= count { break }
                }
            }
            group.addTask { try? await Task.sleep(for: .seconds(timeout)) }
            await group.next()
            group.cancelAll()
            watcher.stop()
        }
        return box.lock.withLock { box.events }
    }

    @Test func atomicRenameIsOneChange() async throws {
        let folder = try Folder()
        let watcher = try PipelineWatcher(debounceMilliseconds: 50)
        try watcher.watch([folder.path])
        try "version: 1".write(toFile: folder.path + "/.p.yaml.tmp", atomically: false, encoding: .utf8)
        rename(folder.path + "/.p.yaml.tmp", folder.path + "/p.yaml")
        #expect(await collect(watcher, count: 1) == [.changed(folder.path + "/p.yaml")])
    }

    @Test func inPlaceWritesAreDebouncedIntoOneChange() async throws {
        let folder = try Folder()
        let watcher = try PipelineWatcher(debounceMilliseconds: 200)
        try watcher.watch([folder.path])
        for i in 0..<5 {
            try "version: \(i)".write(toFile: folder.path + "/p.yaml", atomically: false, encoding: .utf8)
        }
        let events = await collect(watcher, count: 2, timeout: 1.5)
        #expect(events == [.changed(folder.path + "/p.yaml")])
    }

    @Test func aBurstOfAHundredFilesGivesAHundredChanges() async throws {
        let folder = try Folder()
        let watcher = try PipelineWatcher(debounceMilliseconds: 50)
        try watcher.watch([folder.path])
        for i in 0..<100 {
            try "version: 1".write(toFile: folder.path + "/.t\(i)", atomically: false, encoding: .utf8)
            rename(folder.path + "/.t\(i)", folder.path + "/p\(i).yaml")
        }
        let events = await collect(watcher, count: 100, timeout: 10)
        #expect(Set(events) == Set((0..<100).map { WatchEvent.changed(folder.path + "/p\($0).yaml") }))
    }

    @Test func removalAndIgnoredNames() async throws {
        let folder = try Folder()
        try "x".write(toFile: folder.path + "/gone.yaml", atomically: false, encoding: .utf8)
        let watcher = try PipelineWatcher(debounceMilliseconds: 50)
        try watcher.watch([folder.path])
        for name in [".hidden.yaml", "notes.txt", "p.yaml~", "p.yaml.swp"] {
            try "x".write(toFile: folder.path + "/" + name, atomically: false, encoding: .utf8)
        }
        unlink(folder.path + "/gone.yaml")
        #expect(await collect(watcher, count: 2, timeout: 1) == [.removed(folder.path + "/gone.yaml")])
    }

    @Test func queueOverflowAsksForARescan() async throws {
        let folder = try Folder()
        let watcher = try PipelineWatcher(debounceMilliseconds: 50)
        try watcher.watchWithoutReading([folder.path])
        let limit = Int((try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "16384") ?? 16384
        let paths = [folder.path + "/a.yaml", folder.path + "/b.yaml"]
        for i in 0...limit + 10 {
            // Each open-for-write + close queues one IN_CLOSE_WRITE (alternating names, since the kernel merges
            // an event identical to the previous one); nobody reads yet.
            close(open(paths[i % 2], O_WRONLY | O_CREAT, 0o644))
        }
        watcher.startReading()
        // The kernel appends IN_Q_OVERFLOW after the events it kept.
        let events = await collect(watcher, count: 3, timeout: 3)
        #expect(events.contains(.rescan), "\(events)")
    }
}
