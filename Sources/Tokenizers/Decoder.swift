/// The `decoder` section of tokenizer.json: turns tokens back into text.
public protocol Decoder: Sendable {
    /// HF `decode_chain`: rewrites the token list; the results are concatenated.
    func decodeChain(_ tokens: [String]) -> [String]
}

extension Decoder {
    public func decode(_ tokens: [String]) -> String { decodeChain(tokens).joined() }
}

enum DecoderFactory {
    static func make(_ node: JSONNode) throws -> Decoder {
        let type = try node.typeName()
        switch type {
        case "WordPiece":
            return WordPieceDecoder(
                prefix: try node.string("prefix", default: "##")!, cleanup: try node.bool("cleanup", default: true))
        case "ByteLevel": return ByteLevelDecoder()
        case "BPEDecoder": return BPEDecoder(suffix: try node.string("suffix", default: "</w>")!)
        case "Metaspace":
            let rep = try node.string("replacement", default: "\u{2581}")!
            var prepend = try node.bool("add_prefix_space", default: true)
            if node.has("prepend_scheme") { prepend = try node["prepend_scheme"].string() != "never" }
            return MetaspaceDecoder(replacement: rep, addPrefixSpace: prepend)
        case "Replace":
            return ReplaceDecoder(
                pattern: try ScalarPattern(node.required("pattern")), content: try node.required("content").string())
        case "CTC":
            return CTCDecoder(
                padToken: try node.string("pad_token", default: "<pad>")!,
                wordDelimiterToken: try node.string("word_delimiter_token", default: "|")!,
                cleanup: try node.bool("cleanup", default: true))
        case "Strip":
            return StripDecoder(
                content: try node.required("content").string(), start: try node.int("start", default: 0)!,
                stop: try node.int("stop", default: 0)!)
        case "Fuse": return FuseDecoder()
        case "ByteFallback": return ByteFallbackDecoder()
        case "Sequence":
            return SequenceDecoder(decoders: try node.required("decoders").array().map(make))
        default:
            throw TokenizerError(.unsupported, path: node["type"].path, "unsupported \"\(type)\"")
        }
    }
}

/// Joins WordPiece tokens: continuation pieces lose `##`, others get a leading space;
/// `cleanup` undoes BERT's spacing around punctuation and contractions.
public struct WordPieceDecoder: Decoder {
    public var prefix: String
    public var cleanup: Bool

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var t = token
            if i != 0 {
                if t.scalarsHavePrefix(prefix) {
                    t = String(t.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
                } else {
                    t = " " + t
                }
            }
            return cleanup ? Self.cleanup(t) : t
        }
    }

    static func cleanup(_ s: String) -> String {
        guard s.contains(" ") else { return s }
        return s.replacingAll(" .", ".").replacingAll(" ?", "?").replacingAll(" !", "!").replacingAll(" ,", ",")
            .replacingAll(" ' ", "'").replacingAll(" n't", "n't").replacingAll(" 'm", "'m").replacingAll(
                " do not", " don't"
            )
            .replacingAll(" 's", "'s").replacingAll(" 've", "'ve").replacingAll(" 're", "'re")
    }
}

/// Maps byte-level characters back to bytes and decodes them as (lossy) UTF-8.
public struct ByteLevelDecoder: Decoder {
    public func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for t in tokens {
            var tokenBytes: [UInt8] = []
            var ok = true
            for u in t.unicodeScalars {
                guard let b = ByteLevel.byte(of: u.value) else { ok = false; break }
                tokenBytes.append(UInt8(b))
            }
            bytes += ok ? tokenBytes : Array(t.utf8)
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

public struct BPEDecoder: Decoder {
    public var suffix: String
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in
            t.replacingAll(suffix, i == tokens.count - 1 ? "" : " ")
        }
    }
}

public struct MetaspaceDecoder: Decoder {
    public var replacement: String
    public var addPrefixSpace: Bool
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in
            var s = t.replacingAll(replacement, " ")
            if addPrefixSpace, i == 0, s.unicodeScalars.first == " " { s = String(s.unicodeScalars.dropFirst()) }
            return s
        }
    }
}

/// Replaces every match of a string or regex pattern in each token.
public struct ReplaceDecoder: Decoder {
    var pattern: ScalarPattern
    public var content: String

    public func decodeChain(_ tokens: [String]) -> [String] {
        if case .literal(let p) = pattern {
            var needle = ""
            needle.unicodeScalars.append(contentsOf: p.map { Unicode.Scalar($0) ?? "\u{FFFD}" })
            return tokens.map { $0.replacingAll(needle, content) }
        }
        return tokens.map { token in
            let s = token.unicodeScalars.map(\.value)
            let matches = s.withUnsafeBufferPointer { pattern.matches($0, 0..<$0.count) }
            guard !matches.isEmpty else { return token }
            var out = String.UnicodeScalarView()
            var i = 0
            for m in matches {
                while i < m.lowerBound {
                    out.append(Unicode.Scalar(s[i])!)
                    i += 1
                }
                out.append(contentsOf: content.unicodeScalars)
                i = m.upperBound
            }
            while i < s.count {
                out.append(Unicode.Scalar(s[i])!)
                i += 1
            }
            return String(out)
        }
    }
}

/// CTC output: collapse repeats, drop the pad token, word delimiters become spaces.
public struct CTCDecoder: Decoder {
    public var padToken: String
    public var wordDelimiterToken: String
    public var cleanup: Bool

    public func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var previous: String?
        for t in tokens {
            defer { previous = t }
            if t == previous { continue }
            var r = t.replacingAll(padToken, "")
            if cleanup { r = WordPieceDecoder.cleanup(r).replacingAll(wordDelimiterToken, " ") }
            if !r.isEmpty { out.append(r) }
        }
        return out
    }
}

public struct StripDecoder: Decoder {
    public var content: String
    public var start: Int
    public var stop: Int
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { t in
            var chars = Array(t.unicodeScalars)
            var a = 0
            while a < start, a < chars.count, String(chars[a]) == content { a += 1 }
            chars.removeFirst(a)
            var b = 0
            while b < stop, b < chars.count, String(chars[chars.count - 1 - b]) == content { b += 1 }
            chars.removeLast(b)
            var s = ""
            s.unicodeScalars.append(contentsOf: chars)
            return s
        }
    }
}

public struct FuseDecoder: Decoder {
    public func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// `<0x41>`-style byte tokens back to text; invalid UTF-8 becomes one U+FFFD per byte (HF).
public struct ByteFallbackDecoder: Decoder {
    public func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let s = String(validatingUTF8Bytes: pending) {
                out.append(s)
            } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for t in tokens {
            let u = Array(t.utf8)
            if u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E,
                let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
            {
                pending.append(b)
            } else {
                flush()
                out.append(t)
            }
        }
        flush()
        return out
    }
}

public struct SequenceDecoder: Decoder {
    public var decoders: [Decoder]
    public func decodeChain(_ tokens: [String]) -> [String] {
        var t = tokens
        for d in decoders { t = d.decodeChain(t) }
        return t
    }
}

extension String {
    /// `hasPrefix` on Unicode scalars: Swift's `hasPrefix` compares grapheme clusters, so
    /// "##ि" (a combining mark after "#") does not start with "##".
    func scalarsHavePrefix(_ p: String) -> Bool {
        var a = unicodeScalars.makeIterator()
        for u in p.unicodeScalars {
            guard let v = a.next(), v == u else { return false }
        }
        return true
    }

    /// Replaces every non-overlapping occurrence, left to right, comparing Unicode scalars
    /// (Rust `str::replace` semantics; no Foundation, no grapheme matching).
    func replacingAll(_ pattern: String, _ replacement: String) -> String {
        let p = Array(pattern.unicodeScalars)
        guard !p.isEmpty else { return self }
        let s = Array(unicodeScalars)
        guard s.count >= p.count else { return self }
        var out = String.UnicodeScalarView()
        var i = 0
        var changed = false
        while i < s.count {
            if s[i] == p[0], i + p.count <= s.count, s[i..<(i + p.count)].elementsEqual(p) {
                out.append(contentsOf: replacement.unicodeScalars)
                i += p.count
                changed = true
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return changed ? String(out) : self
    }

    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var s = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let u): s.append(u)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(s)
    }
}
