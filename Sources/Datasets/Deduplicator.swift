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
