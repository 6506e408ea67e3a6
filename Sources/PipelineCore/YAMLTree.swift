import StageKit

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

    /// Parses `text`; syntax errors, duplicate keys and exceeded ``YAMLLimits`` become located diagnostics.
    /// Aliases are refused, never expanded, so the tree is never larger than the text.
    public static func parse(_ text: String, file: String, limits: YAMLLimits = .pipeline) throws(PipelineInvalid)
        -> YAMLNode?
    {
        try YAMLComposer.compose(Array(text.utf8), file: file, limits: limits)
    }

    /// Parses raw bytes; invalid UTF-8 is a located diagnostic.
    public static func parse(bytes: [UInt8], file: String, limits: YAMLLimits = .pipeline) throws(PipelineInvalid)
        -> YAMLNode?
    {
        try YAMLComposer.compose(bytes, file: file, limits: limits)
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
