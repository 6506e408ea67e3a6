import Foundation

/// A parsed JSON value that keeps booleans and numbers apart (JSONSerialization on Linux does not).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Most values are strings: try them first (each failed attempt costs a thrown error).
        if c.decodeNil() {
            self = .null
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let x = try? c.decode(Double.self) {
            self = .number(x)
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    /// The JSON type's name, for "expected a string, found a number".
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The member at `path`: an exact key first, else a dotted path through nested objects.
    func member(_ path: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        if let v = fields[path] { return v }
        var current = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let f) = current, let next = f[String(part)] else { return nil }
            current = next
        }
        return current
    }
}
