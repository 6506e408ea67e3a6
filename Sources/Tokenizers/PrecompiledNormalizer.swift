import Foundation

/// SentencePiece's precompiled normalization (`Precompiled` with a `precompiled_charsmap`): a
/// double-array trie over UTF-8 maps graphemes (or single characters) to replacement text.
///
/// Reproduces HF's `Precompiled`, quirks included: a grapheme shorter than 6 bytes is looked up
/// whole, else character by character; the *shortest* matching prefix decides the
/// replacement; alignments follow HF's `transform`.
public struct PrecompiledNormalizer: Normalizer {
    private let trie: [UInt32]
    private let normalized: [UInt8]

    init(_ node: JSONNode) throws {
        let field = try node.required("precompiled_charsmap")
        guard let data = Data(base64Encoded: try field.string()) else { throw field.invalid("not valid base64") }
        try self.init(charsmap: [UInt8](data), path: field.path)
    }

    init(charsmap bytes: [UInt8], path: String = "normalizer.precompiled_charsmap") throws {
        guard bytes.count >= 4 else { throw TokenizerError(.invalid, path: path, "charsmap too short") }
        let trieSize = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        guard trieSize % 4 == 0, 4 + trieSize <= bytes.count, trieSize >= 4 else {
            throw TokenizerError(
                .invalid, path: path, "charsmap trie size \(trieSize) does not fit its \(bytes.count) bytes")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for i in 0..<units.count {
            let o = 4 + 4 * i
            units[i] =
                UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        trie = units
        normalized = Array(bytes[(4 + trieSize)...])
    }

    /// The replacement for `key` (UTF-8), from the shortest prefix with an entry, as HF does.
    func transform(_ key: [UInt8]) -> [UInt32]? {
        // Darts-clone double array: offset/label/leaf bits as in `spm_precompiled`.
        func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }
        func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
        func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
        var pos = 0
        guard !trie.isEmpty else { return nil }
        pos ^= offset(trie[0])
        for c in key {
            if c == 0 { break }
            pos ^= Int(c)
            guard pos >= 0, pos < trie.count else { return nil }
            let unit = trie[pos]
            if label(unit) != UInt32(c) { return nil }
            pos ^= offset(unit)
            guard pos >= 0, pos < trie.count else { return nil }
            if hasLeaf(unit) {
                let start = Int(trie[pos] & ((1 << 31) - 1))
                guard start <= normalized.count else { return nil }
                var end = start
                while end < normalized.count, normalized[end] != 0 { end += 1 }
                return String(decoding: normalized[start..<end], as: UTF8.self).unicodeScalars.map(\.value)
            }
        }
        return nil
    }

    public func normalize(_ text: inout NormalizedString) {
        // (character, change) pairs as HF builds them; change > 0 inserts, < 0 also consumes.
        var transformations: [(UInt32, Int)] = []
        var modified = false
        func replace(_ oldCount: Int, _ new: [UInt32]) {
            transformations.append(contentsOf: new.map { ($0, 0) })
            let diff = new.count - oldCount
            if diff > 0 {
                for k in (transformations.count - diff)..<transformations.count { transformations[k].1 = 1 }
            } else if diff < 0, !transformations.isEmpty {
                transformations[transformations.count - 1].1 += diff
            }
        }
        var string = ""
        string.unicodeScalars.append(contentsOf: text.scalars.map { Unicode.Scalar($0) ?? "\u{FFFD}" })
        for grapheme in string {
            let scalars = grapheme.unicodeScalars.map(\.value)
            let utf8 = Array(String(grapheme).utf8)
            if utf8.count < 6, let norm = transform(utf8) {
                modified = true
                replace(scalars.count, norm)
                continue
            }
            for c in scalars {
                var bytes: [UInt8] = []
                ByteLevel.utf8(c) { bytes.append($0) }
                if let norm = transform(bytes) {
                    modified = true
                    replace(1, norm)
                } else {
                    transformations.append((c, 0))
                }
            }
        }
        guard modified else { return }
        // HF `NormalizedString::transform` alignment rules.
        var out = NormalizedString()
        out.reserve(transformations.count)
        var index = 0
        for (c, change) in transformations {
            if change > 0 {
                if index < 1 {
                    out.append(c, 0, 0)
                } else {
                    out.append(c, text.starts[index - 1], text.ends[index - 1])
                }
            } else {
                let i = min(index, text.count - 1)
                out.append(c, text.starts[i], text.ends[i])
                index += 1 - change
            }
        }
        text = out
    }
}
