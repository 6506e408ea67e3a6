/// A strict RFC 8259 parser of one JSON text into a ``JSONValue``, for JSONL rows.
///
/// `JSONDecoder` into `JSONValue` spent most of a JSONL read building and throwing `DecodingError`s while it tried
/// each type in turn (40% of the tokenize stage on the spam and TREC data). This parser reads the bytes once and
/// accepts exactly what Foundation's `JSONDecoder` accepts (checked side by side in JSONParserTests): strict RFC 8259
/// — no leading zeros, no control characters or invalid UTF-8 in strings, no lone surrogates, no numbers that
/// overflow or underflow a Double
/// — plus its leniencies: a trailing comma in an array or object, a leading byte-order mark, and for a key given
/// twice the first value wins. It only says *whether* a text is JSON: the reader asks
/// `JSONSerialization` why not, for the message.
struct JSONParser {
    struct Invalid: Error {}

    /// Nesting deeper than this is rejected rather than recursed into.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0
    private var scratch: [UInt8] = []

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func parse(_ bytes: ArraySlice<UInt8>) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { parser.i = 3 }
            parser.skipWhitespace()
            let value = try parser.value()
            parser.skipWhitespace()
            guard parser.i == buffer.count else { throw Invalid() }
            return value
        }
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws -> JSONValue {
        guard i < bytes.count else { throw Invalid() }
        switch bytes[i] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw Invalid() }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw Invalid() }
        i += n
    }

    private mutating func object() throws -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw Invalid() }
        i += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Invalid() }
            let key = try string()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Invalid() }
            i += 1
            skipWhitespace()
            let v = try value()
            if members[key] == nil { members[key] = v }
            skipWhitespace()
            guard i < bytes.count else { throw Invalid() }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(members)
                }
            } else if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            } else {
                throw Invalid()
            }
        }
    }

    private mutating func array() throws -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw Invalid() }
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard i < bytes.count else { throw Invalid() }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
            } else if bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            } else {
                throw Invalid()
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, finite as a Double.
    private mutating func number() throws -> Double {
        let start = i
        func digits() throws {
            let first = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            guard i > first else { throw Invalid() }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { throw Invalid() }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            try digits()
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            try digits()
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            try digits()
        }
        let mantissa = UnsafeBufferPointer(rebasing: bytes[start..<i])
        let text = String(decoding: mantissa, as: UTF8.self)
        guard let x = Double(text), x.isFinite else { throw Invalid() }
        // Like JSONDecoder, a nonzero number that underflows to zero is not representable.
        if x == 0,
            mantissa.prefix(while: { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") })
                .contains(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") })
        {
            throw Invalid()
        }
        return x
    }

    /// A string from its opening quote: escapes decoded, UTF-8 validated.
    private mutating func string() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return try Self.validated(UnsafeBufferPointer(rebasing: bytes[start..<(i - 1)]))
            }
            if b == UInt8(ascii: "\\") { break }
            guard b >= 0x20 else { throw Invalid() }
            i += 1
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""):
                return try scratch.withUnsafeBufferPointer { try Self.validated($0) }
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw Invalid() }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
                        else { throw Invalid() }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Invalid() }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw Invalid()
                    }
                    scratch.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
                default: throw Invalid()
                }
            default:
                guard b >= 0x20 else { throw Invalid() }
                scratch.append(b)
            }
        }
        throw Invalid()
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw Invalid() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            i += 1
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: throw Invalid()
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    private static func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws -> String {
        guard let s = String(validating: utf8, as: UTF8.self) else { throw Invalid() }
        return s
    }
}
