import StageKit
import Yams

/// A YAML node with the location of every value and key, so that any later check can point at the text.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        /// `plain` scalars are resolved to null/bool/number; quoted ones are always strings.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([Entry])
    }

    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: YAMLNode
    }

    public var kind: Kind
    public var location: SourceLocation

    /// Parses `text`; syntax errors and duplicate keys become located diagnostics.
    public static func parse(_ text: String, file: String) throws(PipelineInvalid) -> YAMLNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PipelineInvalid([diagnostic(for: error, text: text, file: file)])
        } catch {
            throw PipelineInvalid([Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")])
        }
        guard let root else { return nil }
        var problems: [Diagnostic] = []
        let node = convert(root, file: file, problems: &problems)
        if !problems.isEmpty { throw PipelineInvalid(problems) }
        return node
    }

    private static func convert(_ node: Node, file: String, problems: inout [Diagnostic]) -> YAMLNode {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let s):
            let plain = s.style == .plain && s.tag.description != "tag:yaml.org,2002:str"
            return YAMLNode(kind: .scalar(s.string, plain: plain), location: location)
        case .sequence(let seq):
            return YAMLNode(kind: .sequence(seq.map { convert($0, file: file, problems: &problems) }), location: location)
        case .mapping(let map):
            var entries: [Entry] = []
            for (k, v) in map {
                let keyLocation = SourceLocation(file: file, line: k.mark?.line ?? 1, column: k.mark?.column ?? 1)
                guard case .scalar(let ks) = k else {
                    problems.append(Diagnostic(keyLocation, "mapping keys must be plain strings"))
                    continue
                }
                entries.append(Entry(key: ks.string, keyLocation: keyLocation, value: convert(v, file: file, problems: &problems)))
            }
            return YAMLNode(kind: .mapping(entries), location: location)
        case .alias:
            problems.append(Diagnostic(location, "YAML aliases are not supported in pipeline files", hint: "repeat the value"))
            return YAMLNode(kind: .scalar("", plain: true), location: location)
        }
    }

    private static func diagnostic(for error: YamlError, text: String, file: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return Diagnostic(
                SourceLocation(file: file, line: mark.line, column: mark.column), "YAML syntax: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let (line, column) = secondOccurrence(of: key, after: context.mark, in: text) ?? (context.mark.line, context.mark.column)
            return Diagnostic(
                SourceLocation(file: file, line: line, column: column), "duplicate key '\(key)'",
                hint: "each key may appear once in a mapping; the first is at line \(context.mark.line)")
        default:
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")
        }
    }

    /// libyaml reports a duplicate key at its first occurrence; find the repeat in the same block mapping:
    /// the next line that starts at the same column with `key:` before the mapping's indentation ends.
    private static func secondOccurrence(of key: String, after first: Mark, in text: String) -> (Int, Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let indent = first.column - 1
        for index in first.line..<lines.count {
            let line = lines[index]
            let leading = line.prefix(while: { $0 == " " }).count
            let rest = line.dropFirst(leading)
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            if leading < indent { return nil }
            if leading == indent {
                let bare = rest.hasPrefix("- ") ? rest.dropFirst(2) : rest
                for candidate in [key, "\"\(key)\"", "'\(key)'"] where bare.hasPrefix(candidate) {
                    let after = bare.dropFirst(candidate.count).drop(while: { $0 == " " })
                    if after.hasPrefix(":") { return (index + 1, indent + 1) }
                }
            }
        }
        return nil
    }
}

extension YAMLNode {
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries) = kind else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The value as JSON: plain scalars resolve as YAML 1.2's core schema does (null, true/false, integers,
    /// floats such as `5e-5`), quoted scalars stay strings.
    public var json: JSONValue {
        switch kind {
        case .scalar(let s, let plain):
            return plain ? YAMLNode.resolvePlain(s) : .string(s)
        case .sequence(let items):
            return .array(items.map(\.json))
        case .mapping(let entries):
            var object: [String: JSONValue] = [:]
            for e in entries { object[e.key] = e.value.json }
            return .object(object)
        }
    }

    static func resolvePlain(_ s: String) -> JSONValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let body = s.replacingOccurrences(of: "_", with: "")
        if let i = Int(body) { return .int(i) }
        if body.hasPrefix("0x"), let i = Int(body.dropFirst(2), radix: 16) { return .int(i) }
        if body.hasPrefix("0o"), let i = Int(body.dropFirst(2), radix: 8) { return .int(i) }
        if body.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true, let d = Double(body) {
            return .double(d)
        }
        return .string(s)
    }

    /// The node reached by following a parameter path, and whether the path ended on a key.
    public func locate(_ path: [ParamPathComponent], atKey: Bool) -> SourceLocation {
        var node = self
        var keyLocation: SourceLocation?
        for component in path {
            keyLocation = nil
            switch (component, node.kind) {
            case (.key(let k), .mapping(let entries)):
                guard let entry = entries.first(where: { $0.key == k }) else { return node.location }
                keyLocation = entry.keyLocation
                node = entry.value
            case (.index(let i), .sequence(let items)) where i < items.count:
                node = items[i]
            default:
                return node.location
            }
        }
        return atKey ? (keyLocation ?? node.location) : node.location
    }
}
