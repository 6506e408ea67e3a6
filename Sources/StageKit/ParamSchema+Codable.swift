// The wire form of parameter schemas, documented in docs/plugin-protocol.md:
//   {"type":"string"} {"type":"boolean"} {"type":"integer","minimum":1} {"type":"number","maximum":1.0}
//   {"type":"enum","values":["a","b"]} {"type":"array","items":T} {"type":"map","values":T}
//   {"type":"object","fields":[{"name":…,"type":T,"default":…,"required":false,"summary":…}]} {"type":"data"}
//   {"type":"path"}

extension ParamType: Codable {
    private enum CodingKeys: String, CodingKey { case type, minimum, maximum, values, items, fields }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .type)
        switch kind {
        case "string": self = .string
        case "boolean": self = .boolean
        case "data": self = .dataRef
        case "path": self = .path
        case "integer":
            self = .integer(
                minimum: try c.decodeIfPresent(Int.self, forKey: .minimum),
                maximum: try c.decodeIfPresent(Int.self, forKey: .maximum))
        case "number":
            self = .number(
                minimum: try c.decodeIfPresent(Double.self, forKey: .minimum),
                maximum: try c.decodeIfPresent(Double.self, forKey: .maximum))
        case "enum": self = .oneOf(try c.decode([String].self, forKey: .values))
        case "array": self = .array(try c.decode(ParamType.self, forKey: .items))
        case "map": self = .map(try c.decode(ParamType.self, forKey: .values))
        case "object": self = .object(try c.decode([ParamSpec].self, forKey: .fields))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "unknown parameter type '\(kind)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .string: try c.encode("string", forKey: .type)
        case .boolean: try c.encode("boolean", forKey: .type)
        case .dataRef: try c.encode("data", forKey: .type)
        case .path: try c.encode("path", forKey: .type)
        case .integer(let lo, let hi):
            try c.encode("integer", forKey: .type)
            try c.encodeIfPresent(lo, forKey: .minimum)
            try c.encodeIfPresent(hi, forKey: .maximum)
        case .number(let lo, let hi):
            try c.encode("number", forKey: .type)
            try c.encodeIfPresent(lo, forKey: .minimum)
            try c.encodeIfPresent(hi, forKey: .maximum)
        case .oneOf(let values):
            try c.encode("enum", forKey: .type)
            try c.encode(values, forKey: .values)
        case .array(let items):
            try c.encode("array", forKey: .type)
            try c.encode(items, forKey: .items)
        case .map(let values):
            try c.encode("map", forKey: .type)
            try c.encode(values, forKey: .values)
        case .object(let fields):
            try c.encode("object", forKey: .type)
            try c.encode(fields, forKey: .fields)
        }
    }

    /// A short human-readable rendering: `integer ≥ 1`, `enum(ok|fail)`, `map of object`.
    public var summary: String {
        switch self {
        case .string: "string"
        case .boolean: "boolean"
        case .dataRef: "data input name"
        case .path: "path (a file or folder inside the data roots)"
        case .integer(let lo, let hi): "integer" + Self.bounds(lo.map(String.init), hi.map(String.init))
        case .number(let lo, let hi): "number" + Self.bounds(lo.map { "\($0)" }, hi.map { "\($0)" })
        case .oneOf(let values): values.joined(separator: "|")
        case .array(let items): "list of \(items.summary)"
        case .map(let values): "map of \(values.summary)"
        case .object: "mapping"
        }
    }

    private static func bounds(_ lo: String?, _ hi: String?) -> String {
        switch (lo, hi) {
        case let (lo?, hi?): " in [\(lo), \(hi)]"
        case let (lo?, nil): " ≥ \(lo)"
        case let (nil, hi?): " ≤ \(hi)"
        default: ""
        }
    }
}

extension ParamSpec: Codable {
    private enum CodingKeys: String, CodingKey { case name, type, `default`, required, summary }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try c.decode(String.self, forKey: .name), try c.decode(ParamType.self, forKey: .type),
            default: try c.decodeIfPresent(JSONValue.self, forKey: .default),
            required: try c.decodeIfPresent(Bool.self, forKey: .required) ?? false,
            summary: try c.decodeIfPresent(String.self, forKey: .summary) ?? "")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(defaultValue, forKey: .default)
        if required { try c.encode(true, forKey: .required) }
        if !summary.isEmpty { try c.encode(summary, forKey: .summary) }
    }
}

extension ParamSchema: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([ParamSpec].self))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(params)
    }
}
