import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Resolves data paths and globs against the pipeline's folder, confined to allowed roots.
///
/// Every walk is bounded: wildcards and folders never descend into a symbolic link to a directory (a link
/// loop cannot make the walk endless), folders that cannot hold a file inside the roots are not listed at
/// all (`/proc/**` under a root of `/var/lib/finetuned/data` lists nothing), and a walk gives up after
/// ``maxEntries`` directory entries or at its deadline. Only regular files match: a FIFO or a device named by
/// a pattern would block or never end when read.
public struct DataResolver: Sendable {
    /// When set, every resolved file must lie under one of these directories (after resolving symlinks).
    public var allowedRoots: [String]?
    /// Directory entries one resolution may look at.
    public var maxEntries: Int
    /// Folder levels below the pattern's fixed part that `**` and a named folder may descend.
    public var maxDepth: Int
    /// Wall-clock budget of one resolution.
    public var timeLimit: Duration

    public init(allowedRoots: [String]? = nil, maxEntries: Int = 200_000, maxDepth: Int = 32, timeLimit: Duration = .seconds(10)) {
        self.allowedRoots = allowedRoots?.map { DataResolver.realPath($0) ?? $0 }
        self.maxEntries = maxEntries
        self.maxDepth = maxDepth
        self.timeLimit = timeLimit
    }

    public enum Failure: Error, Equatable {
        case noMatch
        case outsideRoots(String)
        /// The walk looked at more than ``maxEntries`` entries, went deeper than ``maxDepth`` or ran out of
        /// time; the associated text says which.
        case tooExpensive(String)
    }

    /// The files a pattern names, sorted. Supports `*`, `?`, `[...]` within a component and `**` for any depth.
    public func resolve(_ pattern: String, relativeTo directory: String) -> Result<[String], Failure> {
        let absolute = pattern.hasPrefix("/") ? pattern : directory + "/" + pattern
        let components = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var walk = Walk(resolver: self)
        walk.expand(components[...], base: "", depth: 0)
        if let reason = walk.exhausted { return .failure(.tooExpensive(reason)) }
        let files = Array(Set(walk.matches)).sorted()
        guard !files.isEmpty else { return .failure(.noMatch) }
        for file in files where !isConfined(file) { return .failure(.outsideRoots(file)) }
        return .success(files)
    }

    /// Whether `path`, with every symlink and `..` resolved, lies under an allowed root (always, without roots).
    public func isConfined(_ path: String) -> Bool {
        guard let roots = allowedRoots else { return true }
        guard let real = DataResolver.realPath(path) else { return false }
        return roots.contains { DataResolver.isBelow(real, $0) }
    }

    static func isBelow(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// Whether a walk should list `directory`: it is inside a root, or on the way to one.
    fileprivate func mayHoldConfinedFiles(_ directory: String) -> Bool {
        guard let roots = allowedRoots else { return true }
        guard let real = DataResolver.realPath(directory.isEmpty ? "/" : directory) else { return false }
        return roots.contains { DataResolver.isBelow(real, $0) || DataResolver.isBelow($0, real) }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// One resolution's state: what matched and what the budget has left.
    private struct Walk {
        let resolver: DataResolver
        let deadline: ContinuousClock.Instant
        var matches: [String] = []
        var entries = 0
        var exhausted: String?

        init(resolver: DataResolver) {
            self.resolver = resolver
            self.deadline = .now + resolver.timeLimit
        }

        mutating func expand(_ rest: ArraySlice<String>, base: String, depth: Int) {
            guard exhausted == nil else { return }
            guard let head = rest.first else {
                switch kind(base, follow: true) {
                case .regular: matches.append(base)
                case .directory: collectAll(base, depth: depth)
                default: break
                }
                return
            }
            let tail = rest.dropFirst()
            if head == "**" {
                expand(tail, base: base, depth: depth)
                for child in children(of: base) where !child.hasPrefix(".") {
                    let path = base + "/" + child
                    // lstat: a symlink to a directory is never descended (a link loop would never end).
                    if kind(path, follow: false) == .directory {
                        guard depth < resolver.maxDepth else {
                            exhausted = "'**' goes deeper than \(resolver.maxDepth) folders"
                            return
                        }
                        expand(rest, base: path, depth: depth + 1)
                    }
                }
            } else if head.contains(where: { "*?[".contains($0) }) {
                for child in children(of: base) where fnmatch(head, child, FNM_PERIOD) == 0 {
                    let path = base + "/" + child
                    // A wildcard matches a directory symlink only as the last component (as a file it is
                    // not one); below it, only real directories are entered.
                    if tail.isEmpty || kind(path, follow: false) == .directory {
                        expand(tail, base: path, depth: depth)
                    }
                }
            } else if head == "." {
                expand(tail, base: base, depth: depth)
            } else if head == ".." {
                expand(tail, base: (base as NSString).deletingLastPathComponent, depth: depth)
            } else {
                // A component the user wrote out is followed even through a symlink; the resolved file must
                // still be inside the roots.
                let next = base + "/" + head
                if kind(next, follow: true) != nil { expand(tail, base: next, depth: depth) }
            }
        }

        /// A directory named as an input means every regular, non-hidden file below it (no symlinked folders).
        mutating func collectAll(_ directory: String, depth: Int) {
            for child in children(of: directory) where !child.hasPrefix(".") {
                guard exhausted == nil else { return }
                let path = directory + "/" + child
                switch kind(path, follow: false) {
                case .regular: matches.append(path)
                case .directory:
                    guard depth < resolver.maxDepth else {
                        exhausted = "the folder \(directory) goes deeper than \(resolver.maxDepth) levels"
                        return
                    }
                    collectAll(path, depth: depth + 1)
                case .symlink:
                    if kind(path, follow: true) == .regular { matches.append(path) }
                case .other, nil: break
                }
            }
        }

        mutating func children(of directory: String) -> [String] {
            guard exhausted == nil else { return [] }
            if ContinuousClock.now > deadline {
                exhausted = "resolving took longer than \(resolver.timeLimit)"
                return []
            }
            guard resolver.mayHoldConfinedFiles(directory) else { return [] }
            guard let dir = opendir(directory.isEmpty ? "/" : directory) else { return [] }
            defer { closedir(dir) }
            var names: [String] = []
            while let entry = readdir(dir) {
                entries += 1
                if entries > resolver.maxEntries {
                    exhausted = "the pattern looks at more than \(resolver.maxEntries) directory entries"
                    return []
                }
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return names.sorted()
        }

        enum Kind { case regular, directory, symlink, other }

        func kind(_ path: String, follow: Bool) -> Kind? {
            var st = stat()
            let p = path.isEmpty ? "/" : path
            guard (follow ? stat(p, &st) : lstat(p, &st)) == 0 else { return nil }
            switch st.st_mode & S_IFMT {
            case S_IFREG: return .regular
            case S_IFDIR: return .directory
            case S_IFLNK: return .symlink
            default: return .other
            }
        }
    }
}
