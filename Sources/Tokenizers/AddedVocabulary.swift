/// One entry of tokenizer.json's `added_tokens`.
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    public var singleWord: Bool
    public var lstrip: Bool
    public var rstrip: Bool
    /// Matched on normalized text (true) or on the original text (false).
    public var normalized: Bool
    public var special: Bool

    public init(
        id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
        normalized: Bool = false, special: Bool = true
    ) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    init(_ node: JSONNode) throws {
        id = try node.required("id").int()
        guard id >= 0, id < ModelFactory.maxTokenId else {
            throw node["id"].invalid("token id \(id) out of range 0..<\(ModelFactory.maxTokenId)")
        }
        content = try node.required("content").string()
        if content.isEmpty { throw node["content"].invalid("empty added token") }
        singleWord = try node.bool("single_word", default: false)
        lstrip = try node.bool("lstrip", default: false)
        rstrip = try node.bool("rstrip", default: false)
        special = try node.bool("special", default: false)
        normalized = try node.bool("normalized", default: !special)
    }
}

/// Finds added tokens in text, leftmost-longest, with HF's `lstrip`/`rstrip`/`single_word`.
struct AddedTokenMatcher: Sendable {
    private var patterns: [[UInt32]] = []
    private var tokens: [AddedToken] = []
    /// First scalar → pattern indices, longest first.
    private var byFirst: [UInt32: [Int]] = [:]
    /// Bit k set when some pattern starts with a scalar ≡ k (mod 1024): a cheap pre-check.
    private var firstFilter = [UInt64](repeating: 0, count: 16)

    /// `normalizer`: for tokens matched on normalized text, HF matches their normalized form.
    init(_ tokens: [AddedToken], normalizer: (any Normalizer)? = nil) {
        for t in tokens {
            var content = NormalizedString(t.content)
            normalizer?.normalize(&content)
            guard !content.scalars.isEmpty else { continue }
            patterns.append(content.scalars)
            self.tokens.append(t)
        }
        for (i, p) in patterns.enumerated() {
            byFirst[p[0], default: []].append(i)
            firstFilter[Int(p[0] & 1023) >> 6] |= 1 << (p[0] & 63)
        }
        for k in byFirst.keys { byFirst[k]!.sort { patterns[$0].count > patterns[$1].count } }
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// Splits `s[range]` into (token id or nil, range) parts covering it.
    func split(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>) -> [(Int?, Range<Int>)] {
        var parts: [(Int?, Range<Int>)] = []
        var offset = range.lowerBound
        var i = range.lowerBound
        let hi = range.upperBound
        while i < hi {
            let c0 = s[i]
            if firstFilter[Int(c0 & 1023) >> 6] & (1 << (c0 & 63)) == 0 { i += 1; continue }
            guard let candidates = byFirst[c0] else { i += 1; continue }
            var matched = -1
            for c in candidates {
                let p = patterns[c]
                if i + p.count > hi { continue }
                var eq = true
                for k in 1..<max(p.count, 1) where s[i + k] != p[k] { eq = false; break }
                if eq { matched = c; break }
            }
            if matched < 0 { i += 1; continue }
            let t = tokens[matched]
            var start = i
            var stop = i + patterns[matched].count
            if t.singleWord {
                let startOK = start == range.lowerBound || !UnicodeClasses.isWord(s[start - 1])
                let stopOK = stop == hi || !UnicodeClasses.isWord(s[stop])
                if !(startOK && stopOK) { i += 1; continue }
            }
            if t.lstrip {
                var ns = start
                while ns > range.lowerBound, UnicodeClasses.isWhitespace(s[ns - 1]) { ns -= 1 }
                start = max(ns, offset)
            }
            if t.rstrip {
                while stop < hi, UnicodeClasses.isWhitespace(s[stop]) { stop += 1 }
            }
            if offset < start { parts.append((nil, offset..<start)) }
            parts.append((t.id, start..<stop))
            offset = stop
            i = stop
        }
        if offset < hi { parts.append((nil, offset..<hi)) }
        return parts
    }
}
