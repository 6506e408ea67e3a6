/// The type of a stage parameter, as a plugin declares it in `describe`.
///
/// Serialised as a small subset of JSON Schema (`{"type": "integer", "minimum": 1}`) so that plugins written
/// in other languages can declare their parameters without a Swift dependency.
public indirect enum ParamType: Hashable, Sendable {
    case string
    case boolean
    case integer(minimum: Int? = nil, maximum: Int? = nil)
    case number(minimum: Double? = nil, maximum: Double? = nil)
    /// One string out of a closed set.
    case oneOf([String])
    case array(ParamType)
    /// A mapping with known keys; unknown keys are errors.
    case object([ParamSpec])
    /// A mapping from user-chosen names to values of one type (e.g. `tasks: {spam: {...}}`).
    case map(ParamType)
    /// The name of one of the pipeline's `data:` inputs. The engine checks that it exists and makes the
    /// stage read it (its content digest joins the stage's cache key).
    case dataRef
    /// A file or folder, written relative to the pipeline's folder. The engine resolves it (symlinks and
    /// `..`), requires it inside the data roots, hands the plugin the files it opened itself (a path in the
    /// stage's view of its inputs, docs/plugin-protocol.md "Confined inputs"), and puts the
    /// content digests of its files — never the path — into the stage's cache key. Every parameter that names a
    /// file must use this type, not `.string`.
    case path
}

/// One declared parameter of a stage plugin.
public struct ParamSpec: Hashable, Sendable {
    public var name: String
    public var type: ParamType
    /// The value used when the pipeline does not set the parameter; `nil` with `required == false` means the
    /// parameter is simply absent.
    public var defaultValue: JSONValue?
    public var required: Bool
    public var summary: String

    public init(
        _ name: String, _ type: ParamType, default defaultValue: JSONValue? = nil, required: Bool = false,
        summary: String = ""
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.summary = summary
    }
}

/// A step into a parameter value: an object key or an array index.
public enum ParamPathComponent: Hashable, Sendable, CustomStringConvertible {
    case key(String)
    case index(Int)
    public var description: String {
        switch self {
        case .key(let k): k
        case .index(let i): "[\(i)]"
        }
    }
}

/// Renders `[key(tasks), key(spam), index(0)]` as `tasks.spam[0]`.
public func renderParamPath(_ path: [ParamPathComponent]) -> String {
    var out = ""
    for component in path {
        switch component {
        case .key(let k): out += out.isEmpty ? k : "." + k
        case .index(let i): out += "[\(i)]"
        }
    }
    return out
}

/// A parameter value that does not fit its declaration.
public struct ParamViolation: Hashable, Sendable, CustomStringConvertible {
    /// Where in the parameter tree (relative to `with:`).
    public var path: [ParamPathComponent]
    /// Whether the problem is the key itself (an unknown key) rather than its value.
    public var atKey: Bool
    public var message: String
    public var description: String {
        path.isEmpty ? message : "\(renderParamPath(path)): \(message)"
    }
}

/// A plugin's parameter schema: validates the `with:` mapping of a stage and canonicalises it (defaults filled
/// in, integers widened where numbers are declared) so that equal meaning gives equal cache keys.
public struct ParamSchema: Hashable, Sendable {
    public var params: [ParamSpec]
    public init(_ params: [ParamSpec]) { self.params = params }

    /// Validates `value` (the stage's `with:` mapping, `nil` if absent) and returns its canonical form and every
    /// violation found (the value is meaningful only when there are none).
    public func canonicalize(_ value: JSONValue?) -> (value: JSONValue, violations: [ParamViolation]) {
        var violations: [ParamViolation] = []
        let canonical = ParamSchema.check(value ?? .object([:]), as: .object(params), at: [], into: &violations)
        return (canonical, violations)
    }

    /// The names of data inputs that `dataRef` parameters of a canonical value refer to.
    public func dataReferences(in value: JSONValue) -> [String] {
        var names: [String] = []
        ParamSchema.collectDataRefs(value, as: .object(params), into: &names)
        return names
    }

    /// The `path` parameters of a canonical value: where each is in the tree and its value as written.
    public func pathReferences(in value: JSONValue) -> [(path: [ParamPathComponent], value: String)] {
        var found: [(path: [ParamPathComponent], value: String)] = []
        ParamSchema.collectPaths(value, as: .object(params), at: [], into: &found)
        return found
    }

    private static func collectPaths(
        _ value: JSONValue, as type: ParamType, at path: [ParamPathComponent],
        into found: inout [(path: [ParamPathComponent], value: String)]
    ) {
        switch (type, value) {
        case (.path, .string(let s)): found.append((path, s))
        case (.array(let element), .array(let items)):
            for (i, item) in items.enumerated() { collectPaths(item, as: element, at: path + [.index(i)], into: &found) }
        case (.map(let element), .object(let o)):
            for key in o.keys.sorted() { if let v = o[key] { collectPaths(v, as: element, at: path + [.key(key)], into: &found) } }
        case (.object(let specs), .object(let o)):
            for spec in specs { if let v = o[spec.name] { collectPaths(v, as: spec.type, at: path + [.key(spec.name)], into: &found) } }
        default: break
        }
    }

    private static func collectDataRefs(_ value: JSONValue, as type: ParamType, into names: inout [String]) {
        switch (type, value) {
        case (.dataRef, .string(let s)): names.append(s)
        case (.array(let element), .array(let items)):
            for item in items { collectDataRefs(item, as: element, into: &names) }
        case (.map(let element), .object(let o)):
            for key in o.keys.sorted() { collectDataRefs(o[key]!, as: element, into: &names) }
        case (.object(let specs), .object(let o)):
            for spec in specs { if let v = o[spec.name] { collectDataRefs(v, as: spec.type, into: &names) } }
        default: break
        }
    }

    private static func check(
        _ value: JSONValue, as type: ParamType, at path: [ParamPathComponent], into violations: inout [ParamViolation]
    ) -> JSONValue {
        func fail(_ message: String) -> JSONValue {
            violations.append(ParamViolation(path: path, atKey: false, message: message))
            return value
        }
        switch type {
        case .string, .dataRef:
            guard case .string = value else { return fail("expected a string, found \(value.typeName)") }
            return value
        case .path:
            guard case .string(let s) = value, !s.isEmpty else { return fail("expected a path, found \(value.typeName)") }
            if s.contains(where: { "*?[".contains($0) }) { return fail("a path names one file or folder; '\(s)' is a pattern") }
            return value
        case .boolean:
            guard case .bool = value else { return fail("expected true or false, found \(value.typeName)") }
            return value
        case .integer(let lo, let hi):
            guard case .int(let i) = value else { return fail("expected an integer, found \(value.typeName)") }
            if let lo, i < lo { return fail("must be at least \(lo), found \(i)") }
            if let hi, i > hi { return fail("must be at most \(hi), found \(i)") }
            return value
        case .number(let lo, let hi):
            guard let d = value.doubleValue else { return fail("expected a number, found \(value.typeName)") }
            guard d.isFinite else { return fail("must be a finite number") }
            if let lo, d < lo { return fail("must be at least \(lo), found \(d)") }
            if let hi, d > hi { return fail("must be at most \(hi), found \(d)") }
            return .double(d)
        case .oneOf(let choices):
            guard case .string(let s) = value else {
                return fail("expected one of \(choices.joined(separator: ", ")), found \(value.typeName)")
            }
            guard choices.contains(s) else {
                let hint = closestMatch(to: s, among: choices).map { " (did you mean '\($0)'?)" } ?? ""
                return fail("'\(s)' is not one of \(choices.joined(separator: ", "))\(hint)")
            }
            return value
        case .array(let element):
            guard case .array(let items) = value else { return fail("expected a sequence, found \(value.typeName)") }
            return .array(items.enumerated().map { check($1, as: element, at: path + [.index($0)], into: &violations) })
        case .map(let element):
            guard case .object(let o) = value else { return fail("expected a mapping, found \(value.typeName)") }
            var out: [String: JSONValue] = [:]
            for key in o.keys.sorted() {
                out[key] = check(o[key]!, as: element, at: path + [.key(key)], into: &violations)
            }
            return .object(out)
        case .object(let specs):
            guard case .object(let o) = value else { return fail("expected a mapping, found \(value.typeName)") }
            var out: [String: JSONValue] = [:]
            let known = Set(specs.map(\.name))
            for key in o.keys.sorted() where !known.contains(key) {
                let hint = closestMatch(to: key, among: specs.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                let allowed = specs.map(\.name).joined(separator: ", ")
                violations.append(
                    ParamViolation(
                        path: path + [.key(key)], atKey: true,
                        message: "unknown parameter '\(key)'\(hint); expected one of: \(allowed)"))
            }
            for spec in specs {
                if let v = o[spec.name] {
                    out[spec.name] = check(v, as: spec.type, at: path + [.key(spec.name)], into: &violations)
                } else if let d = spec.defaultValue {
                    out[spec.name] = check(d, as: spec.type, at: path + [.key(spec.name)], into: &violations)
                } else if spec.required {
                    violations.append(
                        ParamViolation(path: path, atKey: false, message: "missing required parameter '\(spec.name)'"))
                }
            }
            return .object(out)
        }
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a plausible typo.
/// Words longer than 64 scalars get no suggestion: a typo of such a name is implausible, and the distance is
/// quadratic in the lengths (a 64 KiB value against every key would stall validation).
public func closestMatch(to word: String, among candidates: [String]) -> String? {
    guard word.unicodeScalars.count <= 64 else { return nil }
    let scored = candidates.filter { $0.unicodeScalars.count <= 64 }.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(1, min(3, best.0.count / 3)) ? best.0 : nil
}

/// Edit distance over Unicode scalars, counting an adjacent transposition as one edit (optimal string
/// alignment), so that `tpo` is one step from `top`.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}
