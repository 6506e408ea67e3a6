/// How long encodings are cut (tokenizer.json `truncation`).
public struct TruncationParams: Sendable, Equatable {
    public enum Strategy: String, Sendable {
        case longestFirst = "LongestFirst", onlyFirst = "OnlyFirst", onlySecond = "OnlySecond"
    }
    public enum Direction: String, Sendable { case right = "Right", left = "Left" }
    public var maxLength: Int
    public var strategy: Strategy
    /// Overlap between consecutive overflowing windows (single sequences only: pairs are
    /// truncated without overflow).
    public var stride: Int
    public var direction: Direction

    public init(maxLength: Int, strategy: Strategy = .longestFirst, stride: Int = 0, direction: Direction = .right) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.stride = stride
        self.direction = direction
    }

    init(_ node: JSONNode) throws {
        maxLength = try node.required("max_length").int()
        let s = try node.string("strategy", default: "LongestFirst")!
        guard let st = Strategy(rawValue: s) else {
            throw TokenizerError(.unsupported, path: node["strategy"].path, "unsupported \"\(s)\"")
        }
        strategy = st
        stride = try node.int("stride", default: 0)!
        let d = try node.string("direction", default: "Right")!
        guard let dir = Direction(rawValue: d) else {
            throw TokenizerError(.unsupported, path: node["direction"].path, "unsupported \"\(d)\"")
        }
        direction = dir
        if maxLength < 0 { throw node["max_length"].invalid("must not be negative") }
        if stride < 0 || (maxLength > 0 && stride >= maxLength) {
            throw node["stride"].invalid("must be at least 0 and less than max_length")
        }
    }

    /// HF `truncate_encodings` with `maxLength` already reduced by the special tokens to add.
    func apply(_ a: inout Encoding, _ b: inout Encoding?, maxLength: Int) throws {
        let left = direction == .left
        if maxLength <= 0 {
            a.truncate(to: 0, fromLeft: left)
            b?.truncate(to: 0, fromLeft: left)
            return
        }
        let total = a.count + (b?.count ?? 0)
        guard total > maxLength else { return }
        let toRemove = total - maxLength
        switch strategy {
        case .longestFirst:
            guard var other = b else {
                a.truncate(to: total - toRemove, stride: stride, fromLeft: left)
                return
            }
            var n1 = a.count, n2 = other.count
            let swap = n1 > n2
            if swap { (n1, n2) = (n2, n1) }
            n2 = n1 > maxLength ? n1 : max(n1, maxLength - n1)
            if n1 + n2 > maxLength {
                n1 = maxLength / 2
                n2 = n1 + maxLength % 2
            }
            if swap { (n1, n2) = (n2, n1) }
            a.truncate(to: n1, fromLeft: left)
            other.truncate(to: n2, fromLeft: left)
            b = other
        case .onlyFirst, .onlySecond:
            let first = strategy == .onlyFirst
            let len = first ? a.count : (b?.count ?? 0)
            guard len > toRemove else {
                throw TokenizerError(
                    .invalid, path: "truncation",
                    "sequence to truncate is too short to respect max_length \(self.maxLength)")
            }
            if first && b == nil {
                a.truncate(to: len - toRemove, stride: stride, fromLeft: left)
            } else if first {
                a.truncate(to: len - toRemove, fromLeft: left)
            } else {
                b!.truncate(to: len - toRemove, fromLeft: left)
            }
        }
    }
}

/// How encodings are padded (tokenizer.json `padding`).
public struct PaddingParams: Sendable, Equatable {
    public enum Strategy: Sendable, Equatable { case batchLongest, fixed(Int) }
    public var strategy: Strategy
    public var padLeft: Bool
    public var padToMultipleOf: Int?
    public var padId: Int
    public var padTypeId: Int
    public var padToken: String

    public init(
        strategy: Strategy = .batchLongest, padLeft: Bool = false, padToMultipleOf: Int? = nil, padId: Int = 0,
        padTypeId: Int = 0, padToken: String = "[PAD]"
    ) {
        self.strategy = strategy
        self.padLeft = padLeft
        self.padToMultipleOf = padToMultipleOf
        self.padId = padId
        self.padTypeId = padTypeId
        self.padToken = padToken
    }

    init(_ node: JSONNode) throws {
        let s = node["strategy"]
        if case .string(let name)? = s.value {
            guard name == "BatchLongest" else {
                throw TokenizerError(.unsupported, path: s.path, "unsupported \"\(name)\"")
            }
            strategy = .batchLongest
        } else if s.has("Fixed") {
            let n = try s["Fixed"].int()
            guard n >= 0, n <= 1 << 22 else { throw s["Fixed"].invalid("padding length \(n) out of range") }
            strategy = .fixed(n)
        } else if s.isNull {
            strategy = .batchLongest
        } else {
            throw TokenizerError(.unsupported, path: s.path, "expected \"BatchLongest\" or {\"Fixed\": n}")
        }
        let d = try node.string("direction", default: "Right")!
        guard d == "Right" || d == "Left" else {
            throw TokenizerError(.unsupported, path: node["direction"].path, "unsupported \"\(d)\"")
        }
        padLeft = d == "Left"
        padToMultipleOf = try node.int("pad_to_multiple_of", default: nil)
        padId = try node.int("pad_id", default: 0)!
        padTypeId = try node.int("pad_type_id", default: 0)!
        padToken = try node.string("pad_token", default: "[PAD]")!
    }

    func targetLength(longest: Int) -> Int {
        var n: Int
        switch strategy {
        case .batchLongest: n = longest
        case .fixed(let f): n = f
        }
        if let m = padToMultipleOf, m > 0, n % m != 0 { n += m - n % m }
        return n
    }

    func apply(_ encodings: inout [Encoding]) {
        let target = targetLength(longest: encodings.map(\.count).max() ?? 0)
        for i in encodings.indices {
            encodings[i].pad(to: target, id: padId, typeId: padTypeId, left: padLeft)
        }
    }
}
