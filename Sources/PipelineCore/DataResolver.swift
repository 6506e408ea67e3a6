import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Resolves data paths and globs against the pipeline's folder, confined to allowed roots.
public struct DataResolver: Sendable {
    /// When set, every resolved file must lie under one of these directories (after resolving symlinks).
    public var allowedRoots: [String]?

    public init(allowedRoots: [String]? = nil) {
        self.allowedRoots = allowedRoots?.map { DataResolver.realPath($0) ?? $0 }
    }

    public enum Failure: Error, Equatable {
        case noMatch
        case outsideRoots(String)
    }

    /// The files a pattern names, sorted. Supports `*`, `?`, `[...]` within a component and `**` for any depth.
    public func resolve(_ pattern: String, relativeTo directory: String) -> Result<[String], Failure> {
        let absolute = pattern.hasPrefix("/") ? pattern : directory + "/" + pattern
        let components = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var matches: [String] = []
        expand(components[...], base: "", into: &matches)
        let files = Array(Set(matches)).sorted()
        guard !files.isEmpty else { return .failure(.noMatch) }
        if let roots = allowedRoots {
            for file in files {
                let real = DataResolver.realPath(file) ?? file
                if !roots.contains(where: { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
                    return .failure(.outsideRoots(file))
                }
            }
        }
        return .success(files)
    }

    private func expand(_ rest: ArraySlice<String>, base: String, into out: inout [String]) {
        guard let head = rest.first else {
            if isRegularFile(base) { out.append(base) } else if isDirectory(base) { collectAll(base, into: &out) }
            return
        }
        let tail = rest.dropFirst()
        if head == "**" {
            expand(tail, base: base, into: &out)
            for child in children(of: base) where isDirectory(base + "/" + child) && !child.hasPrefix(".") {
                expand(rest, base: base + "/" + child, into: &out)
            }
        } else if head.contains(where: { "*?[".contains($0) }) {
            for child in children(of: base) where fnmatch(head, child, FNM_PERIOD) == 0 {
                expand(tail, base: base + "/" + child, into: &out)
            }
        } else if head == "." {
            expand(tail, base: base, into: &out)
        } else if head == ".." {
            expand(tail, base: (base as NSString).deletingLastPathComponent, into: &out)
        } else {
            let next = base + "/" + head
            if FileManager.default.fileExists(atPath: next) { expand(tail, base: next, into: &out) }
        }
    }

    /// A directory named as an input means every regular, non-hidden file below it.
    private func collectAll(_ directory: String, into out: inout [String]) {
        for child in children(of: directory) where !child.hasPrefix(".") {
            let path = directory + "/" + child
            if isRegularFile(path) { out.append(path) } else if isDirectory(path) { collectAll(path, into: &out) }
        }
    }

    private func children(of directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "/" : directory)) ?? []).sorted()
    }

    private func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path.isEmpty ? "/" : path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    private func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
