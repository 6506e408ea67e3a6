import Foundation

/// A `pattern` of tokenizer.json (`{"String": ...}` or `{"Regex": ...}`) that finds matches
/// in a run of Unicode scalars.
///
/// Regexes run on ICU (`NSRegularExpression`), whose syntax and Unicode classes agree with
/// Oniguruma (HF's engine) on the patterns tokenizer files use (`\p{L}`, `\p{N}`, `\s`,
/// `(?i:...)`, lookahead, possessive quantifiers); the GPT-2 pattern runs on our own matcher.
enum ScalarPattern: Sendable {
    case literal([UInt32])
    case gpt2
    case regex(RegexBox)

    /// The pattern GPT-2, RoBERTa and ByteLevel use.
    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    final class RegexBox: @unchecked Sendable {  // NSRegularExpression is documented thread-safe
        let regex: NSRegularExpression
        init(_ regex: NSRegularExpression) { self.regex = regex }
    }

    init(_ node: JSONNode) throws {
        if node.has("String") {
            let s = try node["String"].string().scalarValues
            if s.isEmpty { throw node["String"].invalid("empty pattern") }
            self = .literal(s)
        } else if node.has("Regex") {
            let source = try node["Regex"].string()
            if source == Self.gpt2Source {
                self = .gpt2
                return
            }
            do {
                self = .regex(RegexBox(try NSRegularExpression(pattern: source, options: [])))
            } catch {
                throw TokenizerError(
                    .invalid, path: node["Regex"].path, "invalid regular expression: \(error.localizedDescription)")
            }
        } else {
            throw TokenizerError(.malformed, path: node.path, "expected {\"String\": ...} or {\"Regex\": ...}")
        }
    }

    /// Non-overlapping, non-empty matches in `s[range]`, left to right (absolute indices).
    func matches(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        switch self {
        case .literal(let p):
            let m = p.count
            var i = range.lowerBound
            while i + m <= range.upperBound {
                var equal = true
                for k in 0..<m where s[i + k] != p[k] { equal = false; break }
                if equal { out.append(i..<(i + m)); i += m } else { i += 1 }
            }
        case .gpt2:
            // The pattern's matches tile the input, so every piece is a match.
            let sub = UnsafeBufferPointer(rebasing: s[range])
            var i = 0
            while i < sub.count {
                let e = ByteLevel.gpt2MatchEnd(sub, i, sub.count)
                out.append((range.lowerBound + i)..<(range.lowerBound + e))
                i = e
            }
        case .regex(let box):
            // Match on UTF-16 and map offsets back to scalar indices.
            var text = ""
            text.unicodeScalars.append(contentsOf: s[range].map { Unicode.Scalar($0) ?? "\u{FFFD}" })
            var utf16ToScalar: [Int32] = []
            utf16ToScalar.reserveCapacity(range.count + 8)
            for (k, c) in s[range].enumerated() {
                utf16ToScalar.append(Int32(k))
                if c >= 0x10000 { utf16ToScalar.append(Int32(k)) }
            }
            utf16ToScalar.append(Int32(range.count))
            let ns = text as NSString
            for m in box.regex.matches(in: text, options: [], range: NSRange(location: 0, length: ns.length)) {
                guard m.range.length > 0 else { continue }
                let a = Int(utf16ToScalar[m.range.location]), b = Int(utf16ToScalar[m.range.location + m.range.length])
                out.append((range.lowerBound + a)..<(range.lowerBound + b))
            }
        }
        return out
    }
}
