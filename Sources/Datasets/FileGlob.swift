import Foundation

/// Expands path patterns such as `data/licenses/*.txt` or `corpora/**/*.txt` to the files they match.
///
/// Per path component: `*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!a]` sets, `\` escapes
/// the next character; a component `**` matches zero or more directories. Wildcards do not match a leading `.`
/// (hidden files), like the shell. Symbolic links to directories are not descended by `**` (no cycles).
/// Results are regular files, sorted by their UTF-8 bytes, so that every platform reads them in one order.
public enum FileGlob {
    /// Whether `pattern` contains wildcards (else it names one file).
    public static func hasWildcards(_ pattern: String) -> Bool {
        pattern.contains { "*?[".contains($0) }
    }

    /// The files matching `pattern`; a relative pattern is resolved against `directory`. Returned paths keep the
    /// pattern's form (relative patterns give paths relative to `directory`).
    public static func expand(_ pattern: String, relativeTo directory: String = ".") throws -> [String] {
        let absolute = pattern.hasPrefix("/")
        let root = absolute ? "/" : directory
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.isEmpty else {
            throw DatasetError(.invalidArgument, file: pattern, message: "empty path pattern")
        }
        var results = Set<String>()
        walk(components[...], base: root, shown: absolute ? "/" : "", into: &results)
        let sorted = results.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        if sorted.isEmpty {
            throw DatasetError(
                .noMatch, file: pattern, message: "no files match",
                hint: "patterns are relative to the pipeline file's folder; '**' matches any depth of folders")
        }
        return sorted
    }

    private static func walk(_ rest: ArraySlice<String>, base: String, shown: String, into results: inout Set<String>) {
        guard let head = rest.first else {
            if isRegularFile(base) { results.insert(shown) }
            return
        }
        let tail = rest.dropFirst()
        func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : (a.hasSuffix("/") ? a + b : a + "/" + b) }
        if head == "**" {
            walk(tail, base: base, shown: shown, into: &results)
            for name in entries(base) where !name.hasPrefix(".") {
                let path = join(base, name)
                if isDirectory(path, followingLinks: false) {
                    walk(rest, base: path, shown: join(shown, name), into: &results)
                }
            }
        } else if !hasWildcards(head) {
            let name = unescape(head)
            let path = join(base, name)
            if tail.isEmpty || isDirectory(path, followingLinks: true) {
                walk(tail, base: path, shown: join(shown, name), into: &results)
            }
        } else {
            let pattern = Array(head.unicodeScalars)
            for name in entries(base) where matches(pattern[...], Array(name.unicodeScalars)[...], start: true) {
                let path = join(base, name)
                if tail.isEmpty || isDirectory(path, followingLinks: true) {
                    walk(tail, base: path, shown: join(shown, name), into: &results)
                }
            }
        }
    }

    /// Whether one path component `name` matches the component pattern.
    static func matches(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>, start: Bool = false)
        -> Bool
    {
        if start, name.first == ".", pattern.first != "." { return false }
        guard let p = pattern.first else { return name.isEmpty }
        switch p {
        case "*":
            var rest = name
            while true {
                if matches(pattern.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        case "?":
            return !name.isEmpty && matches(pattern.dropFirst(), name.dropFirst())
        case "[":
            guard let c = name.first, let (ok, after) = matchSet(pattern.dropFirst(), c) else {
                // An unclosed '[' is an ordinary character.
                return name.first == "[" && matches(pattern.dropFirst(), name.dropFirst())
            }
            return ok && matches(after, name.dropFirst())
        case "\\":
            let escaped = pattern.dropFirst()
            guard let e = escaped.first else { return name.first == "\\" && name.count == 1 }
            return name.first == e && matches(escaped.dropFirst(), name.dropFirst())
        default:
            return name.first == p && matches(pattern.dropFirst(), name.dropFirst())
        }
    }

    /// Matches `c` against a set body (after `[`); returns the result and the pattern after `]`, or nil if the
    /// set is not closed.
    private static func matchSet(_ body: ArraySlice<Unicode.Scalar>, _ c: Unicode.Scalar)
        -> (Bool, ArraySlice<Unicode.Scalar>)?
    {
        var p = body
        var negate = false
        if let f = p.first, f == "!" || f == "^" {
            negate = true
            p = p.dropFirst()
        }
        var found = false
        var first = true
        while let x = p.first {
            if x == "]" && !first { return (found != negate, p.dropFirst()) }
            first = false
            p = p.dropFirst()
            if p.first == "-", let hi = p.dropFirst().first, hi != "]" {
                if x.value <= c.value && c.value <= hi.value { found = true }
                p = p.dropFirst(2)
            } else if x == c {
                found = true
            }
        }
        return nil
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var escaping = false
        for c in s {
            if c == "\\" && !escaping {
                escaping = true
                continue
            }
            escaping = false
            out.append(c)
        }
        return out
    }

    private static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    private static func isDirectory(_ path: String, followingLinks: Bool) -> Bool {
        if !followingLinks,
            let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType,
            type == .typeSymbolicLink
        {
            return false
        }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
