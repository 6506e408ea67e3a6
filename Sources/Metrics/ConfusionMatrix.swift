/// Counts of (gold, predicted) class pairs over `classCount` classes: `self[gold, predicted]`.
///
/// Classes are indices `0..<classCount`; names belong to the caller. Every classification score in this module
/// is computed from the matrix alone, so a report can recompute them from `report.json`.
public struct ConfusionMatrix: Hashable, Sendable, Codable {
    /// Largest class count accepted: the matrix holds `classCount²` counts.
    public static let maximumClassCount = 4096

    public let classCount: Int
    /// Row-major counts: `counts[gold * classCount + predicted]`.
    public private(set) var counts: [Int]

    /// A matrix of zeros. Throws `.invalidArgument` unless `1 ≤ classCount ≤ maximumClassCount`.
    public init(classCount: Int) throws {
        guard classCount >= 1, classCount <= Self.maximumClassCount else {
            throw MetricsError(.invalidArgument, "class count \(classCount) is not in 1...\(Self.maximumClassCount)")
        }
        self.classCount = classCount
        counts = Array(repeating: 0, count: classCount * classCount)
    }

    /// Counts paired rows. Throws on empty input, unequal lengths, or a class index out of range.
    public init(gold: [Int], predicted: [Int], classCount: Int) throws {
        try self.init(classCount: classCount)
        try Check.nonEmpty(gold.count, "gold")
        try Check.sameLength(gold.count, predicted.count, "confusion matrix")
        try Check.labels(gold, classCount: classCount, "gold class")
        try Check.labels(predicted, classCount: classCount, "predicted class")
        for (g, p) in zip(gold, predicted) { counts[g * classCount + p] += 1 }
    }

    /// Builds a matrix from rows of counts (as stored in `report.json`). Throws unless square and non-negative.
    public init(rows: [[Int]]) throws {
        try self.init(classCount: rows.count)
        for (g, row) in rows.enumerated() {
            guard row.count == classCount else {
                throw MetricsError(
                    .lengthMismatch, "confusion row has \(row.count) counts, expected \(classCount)", row: g)
            }
            for (p, c) in row.enumerated() {
                guard c >= 0 else { throw MetricsError(.invalidArgument, "negative count \(c)", row: g) }
                counts[g * classCount + p] = c
            }
        }
    }

    public subscript(gold: Int, predicted: Int) -> Int { counts[gold * classCount + predicted] }

    /// The matrix as rows (gold) of counts (predicted).
    public var rows: [[Int]] {
        (0..<classCount).map { g in Array(counts[(g * classCount)..<((g + 1) * classCount)]) }
    }

    /// Number of rows counted.
    public var total: Int { counts.reduce(0, +) }
    /// Gold rows per class (the support).
    public var goldTotals: [Int] { (0..<classCount).map { g in (0..<classCount).reduce(0) { $0 + self[g, $1] } } }
    /// Predicted rows per class.
    public var predictedTotals: [Int] {
        (0..<classCount).map { p in (0..<classCount).reduce(0) { $0 + self[$1, p] } }
    }
    /// Correct rows (the trace).
    public var correct: Int { (0..<classCount).reduce(0) { $0 + self[$1, $1] } }
}
