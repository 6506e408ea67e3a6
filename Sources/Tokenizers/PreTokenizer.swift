/// The `pre_tokenizer` section of tokenizer.json: cuts normalized text into pieces
/// (and, for ByteLevel and Metaspace, rewrites them).
public protocol PreTokenizer: Sendable {
    func preTokenize(_ p: inout PreTokenizedString)
}

enum PreTokenizerFactory {
    static func make(_ node: JSONNode) throws -> PreTokenizer {
        let type = try node.typeName()
        switch type {
        case "BertPreTokenizer": return BertPreTokenizer()
        case "Whitespace": return WhitespacePreTokenizer()
        case "WhitespaceSplit": return WhitespaceSplitPreTokenizer()
        case "Punctuation":
            return PunctuationPreTokenizer(behavior: try behavior(node, default: .isolated))
        case "Digits":
            return DigitsPreTokenizer(individualDigits: try node.bool("individual_digits", default: false))
        case "ByteLevel":
            return ByteLevelPreTokenizer(
                addPrefixSpace: try node.bool("add_prefix_space", default: true),
                useRegex: try node.bool("use_regex", default: true))
        case "Metaspace":
            return try MetaspacePreTokenizer(node)
        case "Split":
            return SplitPreTokenizer(
                pattern: try ScalarPattern(node.required("pattern")), behavior: try behavior(node, default: nil),
                invert: try node.bool("invert", default: false))
        case "CharDelimiterSplit":
            let d = try node.required("delimiter").string().scalarValues
            guard d.count == 1 else { throw node["delimiter"].invalid("expected a single character") }
            return SplitPreTokenizer(pattern: .literal(d), behavior: .removed, invert: false)
        case "FixedLength":
            let n = try node.int("length", default: 5)!
            guard n > 0 else { throw node["length"].invalid("must be positive") }
            return FixedLengthPreTokenizer(length: n)
        case "Sequence":
            let items = try node.required("pretokenizers").array()
            return SequencePreTokenizer(preTokenizers: try items.map(make))
        default:
            throw TokenizerError(.unsupported, path: node["type"].path, "unsupported \"\(type)\"")
        }
    }

    static func behavior(_ node: JSONNode, default d: SplitDelimiterBehavior?) throws -> SplitDelimiterBehavior {
        guard node.has("behavior") else {
            if let d { return d }
            throw TokenizerError(.missing, path: node["behavior"].path, "required key is missing")
        }
        let name = try node["behavior"].string()
        guard let b = SplitDelimiterBehavior(rawValue: name) else {
            throw TokenizerError(.unsupported, path: node["behavior"].path, "unsupported \"\(name)\"")
        }
        return b
    }
}

/// BERT: split on whitespace (dropped) and isolate every punctuation character.
public struct BertPreTokenizer: PreTokenizer {
    public init() {}
    public func preTokenize(_ p: inout PreTokenizedString) {
        p.split { s, range, out in
            var wordStart = -1
            for i in range {
                let c = s[i]
                let isSpace: Bool, isPunct: Bool
                if c < 0x80 {
                    isSpace = UnicodeClasses.inMask(UnicodeClasses.wsMask, c)
                    isPunct = UnicodeClasses.inMask(UnicodeClasses.punctMask, c)
                } else {
                    isSpace = UnicodeClasses.isWhitespace(c)
                    isPunct = !isSpace && UnicodeClasses.isUnicodePunctuation(c)
                }
                if isSpace || isPunct {
                    if wordStart >= 0 { out.append(wordStart..<i); wordStart = -1 }
                    if isPunct { out.append(i..<(i + 1)) }
                } else if wordStart < 0 {
                    wordStart = i
                }
            }
            if wordStart >= 0 { out.append(wordStart..<range.upperBound) }
        }
    }
}

/// `\w+|[^\w\s]+`: runs of word characters, runs of other non-space characters.
public struct WhitespacePreTokenizer: PreTokenizer {
    public init() {}
    public func preTokenize(_ p: inout PreTokenizedString) {
        p.split { s, range, out in
            var i = range.lowerBound
            while i < range.upperBound {
                let c = s[i]
                if UnicodeClasses.isWord(c) {
                    let st = i
                    while i < range.upperBound, UnicodeClasses.isWord(s[i]) { i += 1 }
                    out.append(st..<i)
                } else if UnicodeClasses.isWhitespace(c) {
                    i += 1
                } else {
                    let st = i
                    while i < range.upperBound, !UnicodeClasses.isWord(s[i]), !UnicodeClasses.isWhitespace(s[i]) {
                        i += 1
                    }
                    out.append(st..<i)
                }
            }
        }
    }
}

/// Split on whitespace, which is dropped.
public struct WhitespaceSplitPreTokenizer: PreTokenizer {
    public init() {}
    public func preTokenize(_ p: inout PreTokenizedString) {
        p.split { s, range, out in
            var start = -1
            for i in range {
                if UnicodeClasses.isWhitespace(s[i]) {
                    if start >= 0 { out.append(start..<i); start = -1 }
                } else if start < 0 {
                    start = i
                }
            }
            if start >= 0 { out.append(start..<range.upperBound) }
        }
    }
}

public struct PunctuationPreTokenizer: PreTokenizer {
    public var behavior: SplitDelimiterBehavior
    public func preTokenize(_ p: inout PreTokenizedString) {
        p.split { s, range, out in
            let matches = range.filter { UnicodeClasses.isBertPunctuation(s[$0]) }.map { $0..<($0 + 1) }
            behavior.apply(matches: matches, in: range, into: &out)
        }
    }
}

public struct DigitsPreTokenizer: PreTokenizer {
    public var individualDigits: Bool
    public func preTokenize(_ p: inout PreTokenizedString) {
        p.split { s, range, out in
            let matches = range.filter { UnicodeClasses.isNumber(s[$0]) }.map { $0..<($0 + 1) }
            (individualDigits ? SplitDelimiterBehavior.isolated : .contiguous).apply(
                matches: matches, in: range, into: &out)
        }
    }
}

/// `Split` on a literal string or a regular expression.
public struct SplitPreTokenizer: PreTokenizer {
    var pattern: ScalarPattern
    public var behavior: SplitDelimiterBehavior
    public var invert: Bool
    public func preTokenize(_ p: inout PreTokenizedString) {
        p.split { s, range, out in
            behavior.apply(matches: pattern.matches(s, range), in: range, invert: invert, into: &out)
        }
    }
}

public struct SequencePreTokenizer: PreTokenizer {
    public var preTokenizers: [PreTokenizer]
    public func preTokenize(_ p: inout PreTokenizedString) {
        for t in preTokenizers { t.preTokenize(&p) }
    }
}

/// SentencePiece-style: spaces become `▁`, optionally prepended, split before each `▁`.
public struct MetaspacePreTokenizer: PreTokenizer {
    public enum PrependScheme: String, Sendable { case always, never, first }
    public var replacement: UInt32
    public var prependScheme: PrependScheme
    public var split: Bool

    init(_ node: JSONNode) throws {
        let rep = try node.string("replacement", default: "\u{2581}")!.scalarValues
        guard rep.count == 1 else { throw node["replacement"].invalid("expected a single character") }
        replacement = rep[0]
        if node.has("prepend_scheme") {
            let name = try node["prepend_scheme"].string()
            guard let s = PrependScheme(rawValue: name) else {
                throw TokenizerError(.unsupported, path: node["prepend_scheme"].path, "unsupported \"\(name)\"")
            }
            prependScheme = s
        } else {
            prependScheme = try node.bool("add_prefix_space", default: true) ? .always : .never
        }
        split = try node.bool("split", default: true)
    }

    public func preTokenize(_ p: inout PreTokenizedString) {
        // Rewrite each piece: ' ' → replacement, maybe a leading replacement.
        var out = NormalizedString()
        out.reserve(p.text.count + 1)
        var newPieces: [Range<Int>] = []
        for piece in p.pieces where !piece.isEmpty {
            let start = out.count
            let prepend =
                prependScheme == .always || (prependScheme == .first && p.isFirstSegment && piece.lowerBound == 0)
            let head = p.text.scalars[piece.lowerBound]
            if prepend, head != replacement, head != 0x20 {
                out.append(replacement, p.text.starts[piece.lowerBound], p.text.ends[piece.lowerBound])
            }
            for i in piece {
                let c = p.text.scalars[i]
                out.append(c == 0x20 ? replacement : c, p.text.starts[i], p.text.ends[i])
            }
            if split {
                let sub = (start..<out.count).filter { out.scalars[$0] == replacement }.map { $0..<($0 + 1) }
                SplitDelimiterBehavior.mergedWithNext.apply(matches: sub, in: start..<out.count, into: &newPieces)
            } else {
                newPieces.append(start..<out.count)
            }
        }
        p.text = out
        p.pieces = newPieces
    }
}

/// Pieces of `length` characters (HF `FixedLength`).
public struct FixedLengthPreTokenizer: PreTokenizer {
    public var length: Int
    public func preTokenize(_ p: inout PreTokenizedString) {
        p.split { _, range, out in
            var i = range.lowerBound
            while i < range.upperBound {
                out.append(i..<min(i + length, range.upperBound))
                i += length
            }
        }
    }
}
