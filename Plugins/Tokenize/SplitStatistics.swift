import StageKit

/// What one shard holds, for `index.json`: counts, truncation, label counts and a lengths histogram.
struct SplitStatistics {
    /// Histogram bucket edges: bucket i counts lengths in `edges[i] ..< edges[i + 1]`; the last is open.
    static let edges = [0, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]

    var sequences = 0
    var tokens = 0
    var truncated = 0
    /// Documents read (packed inputs) or rows (row inputs).
    var records = 0
    /// Lengths before truncation (rows) or of whole documents (packed inputs), in tokens.
    var lengths: [Int] = []
    var labelCounts: [String: Int] = [:]
    /// The longest row (before truncation) and where it is (`file:line`, relative to the input's folder).
    var longest: (length: Int, location: String)?

    mutating func add(sequenceOf length: Int) {
        sequences += 1
        tokens += length
    }

    /// `{count, min, max, mean, p50, p90, p99, histogram: {edges, counts}}` of `lengths`.
    var lengthSummary: JSONValue {
        guard !lengths.isEmpty else { return .object(["count": 0]) }
        let sorted = lengths.sorted()
        func percentile(_ p: Double) -> JSONValue {
            let rank = Int((p * Double(sorted.count)).rounded(.up))
            return .int(sorted[max(0, min(sorted.count - 1, rank - 1))])
        }
        var counts = [Int](repeating: 0, count: Self.edges.count)
        for n in sorted { counts[(Self.edges.lastIndex { $0 <= n }) ?? 0] += 1 }
        let used = (counts.lastIndex { $0 > 0 } ?? 0) + 1
        let mean = Double(sorted.reduce(0, +)) / Double(sorted.count)
        var summary: [String: JSONValue] = [
            "count": .int(sorted.count), "min": .int(sorted.first!), "max": .int(sorted.last!),
            "mean": .double((mean * 100).rounded() / 100),
            "p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99),
            "histogram": .object([
                "edges": .array(Self.edges.prefix(used).map { .int($0) }),
                "counts": .array(counts.prefix(used).map { .int($0) }),
            ]),
        ]
        if let longest { summary["longest"] = .string(longest.location) }
        return .object(summary)
    }

    /// The median length, 0 if there are none.
    var median: Int { lengths.isEmpty ? 0 : lengths.sorted()[(lengths.count - 1) / 2] }
}
