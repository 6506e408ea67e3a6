import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The content-addressed cache of stage outputs (docs/cache.md):
///
///     cache/<k[0:2]>/<k>/manifest.json   written last; no manifest, no artifact
///     cache/<k[0:2]>/<k>/files/…         the stage's outputs
///     cache/staging/<k>.<pid>.<n>/       an attempt in progress; renamed into place on success
///     cache/locks/<k>.lock               flock: one producer per key across processes
///     scratch/<k>/                       checkpoints of an unfinished attempt, for resuming
public struct ArtifactStore: Sendable {
    public let root: String
    public let scratchRoot: String

    public init(stateDirectory: String) throws {
        root = stateDirectory + "/cache"
        scratchRoot = stateDirectory + "/scratch"
        for dir in [root, root + "/staging", root + "/locks", scratchRoot] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }

    public func directory(for key: String) -> String { "\(root)/\(key.prefix(2))/\(key)" }
    public func scratchDirectory(for key: String) -> String { "\(scratchRoot)/\(key)" }

    /// The artifact for `key`, if a complete one exists.
    public func lookup(_ key: String) -> Artifact? {
        let dir = directory(for: key)
        guard let data = FileManager.default.contents(atPath: dir + "/manifest.json"),
            let manifest = try? JSONDecoder().decode(ArtifactManifest.self, from: data), manifest.key == key,
            manifest.format == ArtifactManifest.formatVersion
        else { return nil }
        return Artifact(key: key, directory: dir, manifest: manifest)
    }

    /// Marks an artifact as used now (gc removes the least recently used first).
    public func touch(_ artifact: Artifact) {
        _ = utimes(artifact.directory, nil)
    }

    // MARK: Producing

    /// Takes the producer lock of `key`, waiting for another process that holds it. Cancellable.
    public func lock(_ key: String) async throws -> KeyLock {
        let path = "\(root)/locks/\(key).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EngineError("cannot open lock '\(path)': \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if Task.isCancelled {
                close(fd)
                throw CancellationError()
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return KeyLock(fd: fd)
    }

    /// Marks this process as using the cache (a run): `flock(LOCK_SH)` on `locks/cache.lock`, held until the
    /// lock is released. Waits while `cache gc` holds it exclusively. Cancellable.
    public func useLock() async throws -> KeyLock {
        let fd = try openCacheLock()
        while flock(fd, LOCK_SH | LOCK_NB) != 0 {
            if Task.isCancelled {
                close(fd)
                throw CancellationError()
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return KeyLock(fd: fd)
    }

    /// The exclusive lock garbage collection needs, or `nil` at once if a run holds ``useLock()``: gc never
    /// deletes what a running pipeline has just produced or is about to read.
    public func exclusiveLock() throws -> KeyLock? {
        let fd = try openCacheLock()
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return KeyLock(fd: fd)
    }

    private func openCacheLock() throws -> Int32 {
        let path = "\(root)/locks/cache.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EngineError("cannot open lock '\(path)': \(String(cString: strerror(errno)))") }
        return fd
    }

    /// A fresh staging directory for an attempt at `key`, with an empty `files/` inside.
    public func beginStaging(_ key: String) throws -> String {
        let dir = "\(root)/staging/\(key).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir + "/files", withIntermediateDirectories: true)
        return dir
    }

    /// Hashes the staged outputs, writes the manifest and moves the directory into place atomically.
    public func commit(staging: String, manifest: ArtifactManifest, digester: FileDigester) throws -> Artifact {
        var manifest = manifest
        manifest.files = try ArtifactStore.listFiles(in: staging + "/files").map { relative in
            let path = staging + "/files/" + relative
            let size = (try? FileDigester.stamp(path).size) ?? 0
            return ArtifactManifest.File(path: relative, size: size, sha256: try FileDigester.sha256(ofFile: path))
        }
        manifest.outputDigest = ArtifactManifest.outputDigest(of: manifest.files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for file in manifest.files { ArtifactStore.flush(staging + "/files/" + file.path) }
        // Committed outputs are read-only: a plugin that writes into its input cannot corrupt the cache
        // silently (cache verify would still find it).
        ArtifactStore.setReadOnly(staging + "/files", true)
        try AtomicFile.write(try encoder.encode(manifest), to: staging + "/manifest.json", durable: true)
        syncDirectory(staging)
        let final = directory(for: manifest.key)
        try FileManager.default.createDirectory(
            atPath: (final as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if lookup(manifest.key) == nil {
            ArtifactStore.setReadOnly(final, false)
            try? FileManager.default.removeItem(atPath: final)  // an incomplete leftover (no valid manifest)
            guard rename(staging, final) == 0 else {
                throw EngineError("cannot move artifact into the cache: \(String(cString: strerror(errno)))")
            }
            syncDirectory((final as NSString).deletingLastPathComponent)
        } else {
            discard(staging: staging)
        }
        // gc cannot run while this process holds the cache use lock; if the artifact is gone anyway, say so.
        guard let artifact = lookup(manifest.key) else {
            throw EngineError("the artifact \(manifest.key.prefix(12)) vanished from the cache right after it was stored")
        }
        return artifact
    }

    public func discard(staging: String) {
        ArtifactStore.setReadOnly(staging, false)
        try? FileManager.default.removeItem(atPath: staging)
    }

    /// Removes (or restores) write permission on every file and folder below `path` (not following symlinks).
    static func setReadOnly(_ path: String, _ readOnly: Bool) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        let type = st.st_mode & S_IFMT
        guard type == S_IFDIR || type == S_IFREG else { return }
        let mode = readOnly ? st.st_mode & ~mode_t(0o222) : st.st_mode | mode_t(0o200)
        if type == S_IFDIR {
            if !readOnly { chmod(path, mode & 0o7777) }  // writable before its entries are changed or removed
            for child in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                setReadOnly(path + "/" + child, readOnly)
            }
            if readOnly { chmod(path, mode & 0o7777) }
        } else {
            chmod(path, mode & 0o7777)
        }
    }

    /// Removes staging directories left by processes that no longer exist (a killed run).
    public func removeAbandonedStaging() {
        let dir = root + "/staging"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let parts = name.split(separator: ".")
            guard parts.count == 3, let pid = Int32(parts[1]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: dir + "/" + name)
            }
        }
    }

    // MARK: Inspecting

    /// Every complete artifact.
    public func all() -> [Artifact] {
        var out: [Artifact] = []
        for shard in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where shard.count == 2 {
            for key in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + shard)) ?? [] {
                if let a = lookup(key) { out.append(a) }
            }
        }
        return out.sorted { $0.key < $1.key }
    }

    /// What is wrong with an artifact's files compared with its manifest; empty if intact.
    public func verify(_ artifact: Artifact) -> [String] {
        var problems: [String] = []
        let present = Set((try? ArtifactStore.listFiles(in: artifact.filesDirectory)) ?? [])
        for file in artifact.manifest.files {
            let path = artifact.filesDirectory + "/" + file.path
            guard present.contains(file.path) else {
                problems.append("\(file.path): missing")
                continue
            }
            guard let digest = try? FileDigester.sha256(ofFile: path) else {
                problems.append("\(file.path): unreadable")
                continue
            }
            if digest != file.sha256 { problems.append("\(file.path): content changed (sha256 \(digest.prefix(12))…, expected \(file.sha256.prefix(12))…)") }
        }
        for extra in present.subtracting(artifact.manifest.files.map(\.path)).sorted() {
            problems.append("\(extra): not in the manifest")
        }
        if ArtifactManifest.outputDigest(of: artifact.manifest.files) != artifact.manifest.outputDigest {
            problems.append("manifest.json: output digest does not match its file list")
        }
        return problems
    }

    /// Bytes used by an artifact (its files plus the manifest).
    public func size(of artifact: Artifact) -> Int64 {
        artifact.manifest.files.reduce(0) { $0 + $1.size }
    }

    /// Last use of an artifact (directory mtime, refreshed by ``touch(_:)``).
    public func lastUsed(_ artifact: Artifact) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: artifact.directory))?[.modificationDate] as? Date) ?? .distantPast
    }

    /// Removes an artifact: first renamed out of the way (so it disappears atomically), then deleted.
    public func remove(_ artifact: Artifact) throws {
        let trash = "\(root)/staging/\(artifact.key).\(getpid()).removed"
        guard rename(artifact.directory, trash) == 0 else {
            throw EngineError("cannot remove \(artifact.directory): \(String(cString: strerror(errno)))")
        }
        ArtifactStore.setReadOnly(trash, false)
        try FileManager.default.removeItem(atPath: trash)
        try? FileManager.default.removeItem(atPath: scratchDirectory(for: artifact.key))
    }

    /// Regular files below `directory`, relative, sorted; symlinks and special files are refused.
    static func listFiles(in directory: String) throws -> [String] {
        var out: [String] = []
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? directory : directory + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: absolute).sorted() {
                let rel = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard lstat(directory + "/" + rel, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: try walk(rel)
                case S_IFREG: out.append(rel)
                default: throw EngineError("output '\(rel)' is not a regular file", hint: "stages must write plain files")
                }
            }
        }
        try walk("")
        return out
    }

    /// Flushes a file's data to disk, so that a renamed-in artifact survives a power loss whole.
    static func flush(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    private func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// A held producer lock; released by ``release()`` or when the process dies.
public final class KeyLock: @unchecked Sendable {
    private var fd: Int32
    init(fd: Int32) { self.fd = fd }
    public func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }
    deinit { release() }
}
