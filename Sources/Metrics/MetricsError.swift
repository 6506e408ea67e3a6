/// Why a metric could not be computed from its input.
///
/// Metrics never trap on input: every degenerate case either has a defined value (documented on the metric) or
/// throws one of these. `description` names the argument, the offending row where there is one, and what to do.
public struct MetricsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that branch on it.
    public enum Kind: String, Sendable {
        /// No rows (or no tokens): the metric is undefined.
        case empty
        /// Two inputs that must pair row by row differ in length.
        case lengthMismatch
        /// A class index outside `0..<classCount`.
        case labelOutOfRange
        /// NaN or infinity in an input or in a statistic's result.
        case nonFinite
        /// A probability outside [0, 1] or a row that does not sum to 1.
        case invalidProbability
        /// A correlation of a constant series (its denominator is zero).
        case zeroVariance
        /// A tag that is not `O`, `B-TYPE` or `I-TYPE`.
        case invalidTag
        /// A parameter outside its documented range (bin count, resample count, confidence, ...).
        case invalidArgument
    }

    public var kind: Kind
    public var message: String
    /// The 0-based row (or sequence) the error is about, when there is one.
    public var row: Int?

    public init(_ kind: Kind, _ message: String, row: Int? = nil) {
        self.kind = kind
        self.message = message
        self.row = row
    }

    public var description: String {
        if let row { return "metrics: row \(row): \(message)" }
        return "metrics: \(message)"
    }
}

/// Shared input checks, so that every metric words the same problem the same way.
enum Check {
    static func nonEmpty(_ count: Int, _ what: String) throws {
        if count == 0 { throw MetricsError(.empty, "\(what) is empty: a metric of no rows is undefined") }
    }

    static func sameLength(_ a: Int, _ b: Int, _ what: String) throws {
        if a != b {
            throw MetricsError(.lengthMismatch, "\(what): \(a) gold rows but \(b) predicted rows; pair them row by row")
        }
    }

    static func finite(_ values: [Double], _ what: String) throws {
        for (i, v) in values.enumerated() where !v.isFinite {
            throw MetricsError(.nonFinite, "\(what) is \(v); remove or repair the row", row: i)
        }
    }

    static func labels(_ values: [Int], classCount: Int, _ what: String) throws {
        for (i, v) in values.enumerated() where v < 0 || v >= classCount {
            throw MetricsError(.labelOutOfRange, "\(what) \(v) is not in 0..<\(classCount)", row: i)
        }
    }
}
