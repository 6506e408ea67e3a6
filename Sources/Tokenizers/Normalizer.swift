import Foundation

/// The `normalizer` section of tokenizer.json: rewrites text before pre-tokenization,
/// keeping every scalar aligned to the original characters.
public protocol Normalizer: Sendable {
    func normalize(_ text: inout NormalizedString)
}

enum NormalizerFactory {
    /// Builds a normalizer from its JSON; throws with the JSON path for unknown types.
    static func make(_ node: JSONNode) throws -> Normalizer {
        let type = try node.typeName()
        switch type {
        case "BertNormalizer":
            return BertNormalizer(
                cleanText: try node.bool("clean_text", default: true),
                handleChineseChars: try node.bool("handle_chinese_chars", default: true),
                stripAccents: node.has("strip_accents") ? try node["strip_accents"].bool() : nil,
                lowercase: try node.bool("lowercase", default: true))
        case "Lowercase": return LowercaseNormalizer()
        case "StripAccents": return StripAccentsNormalizer()
        case "NFC": return UnicodeNormalizer(form: .nfc)
        case "NFD": return UnicodeNormalizer(form: .nfd)
        case "NFKC": return UnicodeNormalizer(form: .nfkc)
        case "NFKD": return UnicodeNormalizer(form: .nfkd)
        case "Strip":
            return StripNormalizer(
                left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case "Prepend":
            return PrependNormalizer(prefix: try node.required("prepend").string().scalarValues)
        case "Replace":
            return ReplaceNormalizer(
                pattern: try ScalarPattern(node.required("pattern")),
                content: try node.required("content").string().scalarValues)
        case "Nmt": return NmtNormalizer()
        case "Precompiled": return try PrecompiledNormalizer(node)
        case "ByteLevel": return ByteLevelNormalizer()
        case "Sequence":
            let items = try node.required("normalizers").array()
            return SequenceNormalizer(normalizers: try items.map(make))
        default:
            throw TokenizerError(.unsupported, path: node["type"].path, "unsupported \"\(type)\"")
        }
    }
}

/// BERT's normalizer: drop control characters, map whitespace to spaces, pad CJK ideographs
/// with spaces, strip accents (NFD then drop Mn), lowercase — in HF's order.
public struct BertNormalizer: Normalizer {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    /// `nil` means "same as `lowercase`", as in HF.
    public var stripAccents: Bool?
    public var lowercase: Bool

    public init(
        cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true
    ) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    public func normalize(_ text: inout NormalizedString) {
        let strip = stripAccents ?? lowercase
        if text.isASCII {
            // ASCII: no CJK, no accents, one-to-one lowercase; do everything in place.
            var w = 0
            let n = text.count
            text.scalars.withUnsafeMutableBufferPointer { s in
                text.starts.withUnsafeMutableBufferPointer { st in
                    text.ends.withUnsafeMutableBufferPointer { en in
                        for i in 0..<n {
                            var c = s[i]
                            if cleanText {
                                if UnicodeClasses.inMask(UnicodeClasses.wsMask, c) {
                                    c = 0x20
                                } else if UnicodeClasses.inMask(UnicodeClasses.controlMask, c) {
                                    continue
                                }
                            }
                            if lowercase, c >= 0x41, c <= 0x5A { c += 32 }
                            s[w] = c
                            st[w] = st[i]
                            en[w] = en[i]
                            w += 1
                        }
                    }
                }
            }
            if w < n {
                text.scalars.removeLast(n - w)
                text.starts.removeLast(n - w)
                text.ends.removeLast(n - w)
            }
            return
        }
        if cleanText {
            text.filter { c in
                !(c == 0 || c == 0xFFFD || (UnicodeClasses.isOther(c) && c != 0x09 && c != 0x0A && c != 0x0D))
            }
            text.transform { c, emit in emit(UnicodeClasses.isWhitespace(c) ? 0x20 : c) }
        }
        if handleChineseChars {
            text.transform { c, emit in
                if UnicodeClasses.isChineseChar(c) {
                    emit(0x20)
                    emit(c)
                    emit(0x20)
                } else {
                    emit(c)
                }
            }
        }
        if strip {
            UnicodeNormalizer(form: .nfd).normalize(&text)
            text.filter { !UnicodeClasses.isNonspacingMark($0) }
        }
        if lowercase {
            text.transform { c, emit in UnicodeClasses.lowercase(c, emit) }
        }
    }
}

public struct LowercaseNormalizer: Normalizer {
    public init() {}
    public func normalize(_ text: inout NormalizedString) {
        text.transform { c, emit in UnicodeClasses.lowercase(c, emit) }
    }
}

/// Removes combining marks (Mn, Mc, Me), like HF's `StripAccents` (use after NFD).
public struct StripAccentsNormalizer: Normalizer {
    public init() {}
    public func normalize(_ text: inout NormalizedString) {
        text.filter { c in
            if c < 0x300 { return true }
            switch UnicodeClasses.category(c) {
            case .nonspacingMark, .spacingMark, .enclosingMark: return false
            default: return true
            }
        }
    }
}

public struct StripNormalizer: Normalizer {
    public var left: Bool, right: Bool
    public init(left: Bool, right: Bool) { self.left = left; self.right = right }
    public func normalize(_ text: inout NormalizedString) {
        var lo = 0, hi = text.count
        if left { while lo < hi, UnicodeClasses.isWhitespace(text.scalars[lo]) { lo += 1 } }
        if right { while hi > lo, UnicodeClasses.isWhitespace(text.scalars[hi - 1]) { hi -= 1 } }
        if lo == 0 && hi == text.count { return }
        text.scalars = Array(text.scalars[lo..<hi])
        text.starts = Array(text.starts[lo..<hi])
        text.ends = Array(text.ends[lo..<hi])
    }
}

public struct PrependNormalizer: Normalizer {
    public var prefix: [UInt32]
    public func normalize(_ text: inout NormalizedString) {
        guard !text.scalars.isEmpty else { return }
        // The prefix aligns to the first character, as in HF.
        let st = text.starts[0], en = text.ends[0]
        text.scalars.insert(contentsOf: prefix, at: 0)
        text.starts.insert(contentsOf: [Int32](repeating: st, count: prefix.count), at: 0)
        text.ends.insert(contentsOf: [Int32](repeating: en, count: prefix.count), at: 0)
    }
}

/// Replaces every match of a string or regex pattern; replacement scalars align to the last
/// matched scalar, as in HF.
public struct ReplaceNormalizer: Normalizer {
    var pattern: ScalarPattern
    public var content: [UInt32]
    public func normalize(_ text: inout NormalizedString) {
        let n = text.count
        let matches = text.scalars.withUnsafeBufferPointer { pattern.matches($0, 0..<n) }
        guard !matches.isEmpty else { return }
        var out = NormalizedString()
        out.reserve(n)
        var i = 0
        for m in matches {
            while i < m.lowerBound { out.append(text.scalars[i], text.starts[i], text.ends[i]); i += 1 }
            let st = text.starts[m.upperBound - 1], en = text.ends[m.upperBound - 1]
            for c in content { out.append(c, st, en) }
            i = m.upperBound
        }
        while i < n { out.append(text.scalars[i], text.starts[i], text.ends[i]); i += 1 }
        text = out
    }
}

public struct SequenceNormalizer: Normalizer {
    public var normalizers: [Normalizer]
    public func normalize(_ text: inout NormalizedString) {
        for n in normalizers { n.normalize(&text) }
    }
}

/// NFC / NFD / NFKC / NFKD. Text is normalized one combining sequence (a starter and the
/// non-starters after it) at a time so each output scalar stays aligned to its source.
public struct UnicodeNormalizer: Normalizer {
    public enum Form: Sendable { case nfc, nfd, nfkc, nfkd }
    public var form: Form

    public init(form: Form) { self.form = form }

    public func normalize(_ text: inout NormalizedString) {
        if text.isASCII { return }
        var out = NormalizedString()
        out.reserve(text.count + 8)
        let n = text.count
        var i = 0
        while i < n {
            let c = text.scalars[i]
            var j = i + 1
            while j < n, text.scalars[j] >= 0x300, Self.combiningClass(text.scalars[j]) != 0 { j += 1 }
            // Below U+00A0 every form is the identity; up to U+00C0 only the compatibility forms change text.
            if j == i + 1 && (c < 0xA0 || (c < 0xC0 && (form == .nfc || form == .nfd))) {
                out.append(c, text.starts[i], text.ends[i])
                i = j
                continue
            }
            var segment = ""
            for k in i..<j { segment.unicodeScalars.append(Unicode.Scalar(text.scalars[k]) ?? "\u{FFFD}") }
            let normalized = Self.apply(form, to: segment)
            let result = normalized.unicodeScalars.map(\.value)
            let n0 = j - i
            if result.count <= n0 {
                // Same length or composed: output k keeps input k's alignment (HF aligns a
                // composed character to the first character it replaces).
                for k in 0..<result.count { out.append(result[k], text.starts[i + k], text.ends[i + k]) }
            } else {
                // Decomposed: if decomposing each scalar alone gives the same result (no
                // reordering), every piece aligns to its own source scalar, as in HF.
                var pieces: [(UInt32, Int)] = []
                for k in i..<j {
                    var one = ""
                    one.unicodeScalars.append(Unicode.Scalar(text.scalars[k]) ?? "\u{FFFD}")
                    let d = Self.apply(form, to: one)
                    for u in d.unicodeScalars { pieces.append((u.value, k)) }
                }
                if pieces.map(\.0) == result {
                    for (u, k) in pieces { out.append(u, text.starts[k], text.ends[k]) }
                } else {
                    let st = text.starts[i], en = text.ends[j - 1]
                    for r in result { out.append(r, st, en) }
                }
            }
            i = j
        }
        text = out
    }

    static func apply(_ form: Form, to s: String) -> String {
        switch form {
        case .nfc: return s.precomposedStringWithCanonicalMapping
        case .nfd: return s.decomposedStringWithCanonicalMapping
        case .nfkc: return s.precomposedStringWithCompatibilityMapping
        case .nfkd: return s.decomposedStringWithCompatibilityMapping
        }
    }

    @inline(__always)
    static func combiningClass(_ c: UInt32) -> UInt8 {
        guard let s = Unicode.Scalar(c) else { return 0 }
        return s.properties.canonicalCombiningClass.rawValue
    }
}

/// NMT normalization: drop most ASCII controls, map other separators to spaces (HF `Nmt`).
public struct NmtNormalizer: Normalizer {
    public init() {}
    public func normalize(_ text: inout NormalizedString) {
        text.filter { c in
            switch c {
            case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: return false
            default: return true
            }
        }
        text.transform { c, emit in
            switch c {
            case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: emit(0x20)
            default: emit(c)
            }
        }
    }
}

/// Every UTF-8 byte becomes its GPT-2 byte-level character (HF `ByteLevel` normalizer).
public struct ByteLevelNormalizer: Normalizer {
    public init() {}
    public func normalize(_ text: inout NormalizedString) {
        let table = ByteLevel.byteToScalar
        text.transform { c, emit in ByteLevel.utf8(c) { emit(table[Int($0)]) } }
    }
}
