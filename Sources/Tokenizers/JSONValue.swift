import Foundation

/// A minimal JSON document model. Our own parser (instead of `JSONSerialization`) keeps
/// booleans and integers distinct on every platform and reports byte offsets of syntax errors.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in document order (tokenizer.json never has duplicate keys that matter).
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// A JSON value plus its path in the document, so that every accessor can throw a
/// `TokenizerError` naming the exact location (`model.merges[12]`).
struct JSONNode {
    let value: JSONValue?
    let path: String

    init(_ value: JSONValue?, path: String) {
        self.value = value
        self.path = path
    }

    static func parse(_ data: Data) throws -> JSONNode {
        var parser = JSONParser(bytes: [UInt8](data))
        return JSONNode(try parser.parseDocument(), path: "")
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var isNull: Bool {
        if case .null? = value { return true }
        return value == nil
    }

    subscript(key: String) -> JSONNode {
        guard case .object(let members)? = value else { return JSONNode(nil, path: childPath(key)) }
        for (k, v) in members where k == key { return JSONNode(v, path: childPath(key)) }
        return JSONNode(nil, path: childPath(key))
    }

    func has(_ key: String) -> Bool { !self[key].isNull }

    func members() throws -> [(String, JSONNode)] {
        guard case .object(let m)? = value else { throw typeError("an object") }
        return m.map { ($0.0, JSONNode($0.1, path: childPath($0.0))) }
    }

    func array() throws -> [JSONNode] {
        guard case .array(let a)? = value else { throw typeError("an array") }
        return a.enumerated().map { JSONNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws -> String {
        guard case .string(let s)? = value else { throw typeError("a string") }
        return s
    }

    func int() throws -> Int {
        guard case .number(let d)? = value, d == d.rounded(), abs(d) < 9.0e15 else { throw typeError("an integer") }
        return Int(d)
    }

    func double() throws -> Double {
        guard case .number(let d)? = value else { throw typeError("a number") }
        return d
    }

    func bool() throws -> Bool {
        guard case .bool(let b)? = value else { throw typeError("a boolean") }
        return b
    }

    // Optional accessors: absent or null → default.
    func string(_ key: String, default d: String?) throws -> String? { has(key) ? try self[key].string() : d }
    func int(_ key: String, default d: Int?) throws -> Int? { has(key) ? try self[key].int() : d }
    func bool(_ key: String, default d: Bool) throws -> Bool { has(key) ? try self[key].bool() : d }
    func double(_ key: String, default d: Double?) throws -> Double? { has(key) ? try self[key].double() : d }

    func required(_ key: String) throws -> JSONNode {
        guard has(key) else { throw TokenizerError(.missing, path: childPath(key), "required key is missing") }
        return self[key]
    }

    /// The `type` discriminator of a component.
    func typeName() throws -> String { try required("type").string() }

    func typeError(_ expected: String) -> TokenizerError {
        if isNull { return TokenizerError(.missing, path: path, "expected \(expected), found nothing") }
        return TokenizerError(
            .malformed, path: path, "expected \(expected), found \(value.map(Self.describe) ?? "nothing")")
    }

    func invalid(_ message: String) -> TokenizerError { TokenizerError(.invalid, path: path, message) }

    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

struct JSONParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> JSONValue {
        skipWS()
        let v = try parseValue(depth: 0)
        skipWS()
        if i != bytes.count { throw err("unexpected trailing characters") }
        return v
    }

    func err(_ m: String) -> TokenizerError { TokenizerError(.malformed, path: "", "invalid JSON at byte \(i): \(m)") }

    mutating func skipWS() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < 512 else { throw err("nesting too deep") }
        guard i < bytes.count else { throw err("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, JSONValue)] = []
            skipWS()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipWS()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw err("expected a key") }
                let k = try parseString()
                skipWS()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw err("expected ':'") }
                i += 1
                skipWS()
                members.append((k, try parseValue(depth: depth + 1)))
                skipWS()
                guard i < bytes.count else { throw err("unexpected end of input") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                throw err("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipWS()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipWS()
                items.append(try parseValue(depth: depth + 1))
                skipWS()
                guard i < bytes.count else { throw err("unexpected end of input") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw err("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try parseNumber())
        }
    }

    mutating func literal(_ s: String) throws {
        let u = Array(s.utf8)
        guard i + u.count <= bytes.count else { throw err("unexpected end of input") }
        for k in 0..<u.count where bytes[i + k] != u[k] { throw err("invalid literal") }
        i += u.count
    }

    mutating func parseNumber() throws -> Double {
        let start = i
        while i < bytes.count {
            let c = bytes[i]
            if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
            {
                i += 1
            } else {
                break
            }
        }
        guard i > start, let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else {
            i = start
            throw err("invalid value")
        }
        return d
    }

    mutating func parseString() throws -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") { i += 1 }
        guard i < bytes.count else { throw err("unterminated string") }
        if bytes[i] == UInt8(ascii: "\"") {
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 1
            return s
        }
        var out = [UInt8](bytes[start..<i])
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var cp = try hex4()
                    if cp >= 0xD800 && cp < 0xDC00 {
                        // Surrogate pair.
                        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                            i += 2
                            let lo = try hex4()
                            if lo >= 0xDC00 && lo < 0xE000 {
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                cp = 0xFFFD
                            }
                        } else {
                            cp = 0xFFFD
                        }
                    } else if cp >= 0xDC00 && cp < 0xE000 {
                        cp = 0xFFFD
                    }
                    let scalar = Unicode.Scalar(cp) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(scalar).utf8))
                default: throw err("invalid escape")
                }
                continue
            }
            out.append(c)
            i += 1
        }
        throw err("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw err("bad \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            var d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw err("bad \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

/// Writes JSON the way serde_json does (compact or pretty), with keys in the given order.
enum JSONWriter {
    static func escape(_ s: String, into out: inout String) {
        out.append("\"")
        for u in s.unicodeScalars {
            switch u {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - h.count) + h)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out.append("\"")
    }

    static func write(_ v: JSONValue, pretty: Bool) -> String {
        var out = ""
        write(v, pretty: pretty, indent: 0, into: &out)
        return out
    }

    static func write(_ v: JSONValue, pretty: Bool, indent: Int, into out: inout String) {
        switch v {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .number(let d):
            if d == d.rounded() && abs(d) < 1e15 { out.append(String(Int(d))) } else { out.append(String(d)) }
        case .string(let s): escape(s, into: &out)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[")
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(",") }
                if pretty { out.append("\n" + String(repeating: " ", count: 2 * (indent + 1))) }
                write(item, pretty: pretty, indent: indent + 1, into: &out)
            }
            if pretty { out.append("\n" + String(repeating: " ", count: 2 * indent)) }
            out.append("]")
        case .object(let members):
            if members.isEmpty { out.append("{}"); return }
            out.append("{")
            for (k, (key, item)) in members.enumerated() {
                if k > 0 { out.append(",") }
                if pretty { out.append("\n" + String(repeating: " ", count: 2 * (indent + 1))) }
                escape(key, into: &out)
                out.append(pretty ? ": " : ":")
                write(item, pretty: pretty, indent: indent + 1, into: &out)
            }
            if pretty { out.append("\n" + String(repeating: " ", count: 2 * indent)) }
            out.append("}")
        }
    }
}
