/// Removes repeated texts before splitting, so that no text is both trained and tested on.
public enum Deduplicator {
    /// How two texts are compared.
    public enum Normalization: Hashable, Sendable {
        /// Byte-for-byte.
        case exact
        /// Lowercased, with runs of whitespace collapsed and ends trimmed.
        case whitespaceAndCase
        /// Only letters and digits, lowercased, single-spaced (punctuation and layout ignored).
        case wordsOnly
    }

    /// What `deduplicate` kept and dropped.
    public struct Result: Hashable, Sendable {
        /// Indices of kept rows, ascending: the first row of each distinct key.
        public var kept: [Int]
        /// Rows dropped as repeats of a kept row.
        public var duplicates: Int
        /// Rows dropped because the same key carries different labels (all of that key's rows are dropped).
        public var conflicting: Int
    }

    /// The comparison key of `text` under `normalization`.
    public static func key(_ text: String, _ normalization: Normalization) -> String {
        switch normalization {
        case .exact:
            return text
        case .whitespaceAndCase:
            return text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        case .wordsOnly:
            return text.lowercased()
                .split(whereSeparator: { !($0.isLetter || $0.isNumber) })
                .joined(separator: " ")
        }
    }

    /// Keeps the first of rows with the same text key (and the same pair, if any); rows whose key is seen with
    /// more than one label are all dropped, since their label is ambiguous.
    public static func deduplicate(_ records: [Record], normalization: Normalization = .whitespaceAndCase) -> Result {
        var first: [String: Int] = [:]
        var labels: [String: Set<String>] = [:]
        var keys: [String] = []
        keys.reserveCapacity(records.count)
        for (i, r) in records.enumerated() {
            var k = key(r.text, normalization)
            if let pair = r.pair { k += "\u{0}" + key(pair, normalization) }
            keys.append(k)
            if first[k] == nil { first[k] = i }
            labels[k, default: []].insert(r.label?.key ?? "")
        }
        var kept: [Int] = []
        var conflicting = 0
        for (i, k) in keys.enumerated() where first[k] == i {
            if labels[k]!.count == 1 { kept.append(i) } else { conflicting += 1 }
        }
        return Result(kept: kept, duplicates: records.count - first.count, conflicting: conflicting)
    }
}

extension Deduplicator {
    /// Streaming de-duplication for data too large to hold: remembers a 64-bit FNV-1a digest of each key
    /// (8 bytes per distinct text), so `insert` answers whether a text is new. Two different texts collide with
    /// probability about n² / 2⁶⁵ (1e-7 for 2 million texts); the digest is stable across runs and platforms.
    public struct Filter: Sendable {
        public let normalization: Normalization
        private var seen = Set<UInt64>()

        public init(normalization: Normalization = .whitespaceAndCase) { self.normalization = normalization }

        /// How many distinct texts were inserted.
        public var count: Int { seen.count }

        /// Records `text` (and `pair`); true if it was not seen before.
        public mutating func insert(_ text: String, pair: String? = nil) -> Bool {
            var digest = Self.fnv1a(Deduplicator.key(text, normalization).utf8)
            if let pair { digest = Self.fnv1a(Deduplicator.key(pair, normalization).utf8, seed: digest ^ 0xFF) }
            return seen.insert(digest).inserted
        }

        static func fnv1a<S: Sequence>(_ bytes: S, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64
        where S.Element == UInt8 {
            var h = seed
            for b in bytes {
                h ^= UInt64(b)
                h &*= 0x0000_0100_0000_01B3
            }
            return h
        }
    }
}
