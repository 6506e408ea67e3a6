/// What a reader does with a row it cannot use (invalid JSON, a missing field, a wrong type, a wrong column count).
public enum BadRowPolicy: Hashable, Sendable {
    /// Throw the first bad row's error.
    case fail
    /// Skip bad rows, count them and keep the first few errors for the report; throw once more than `limit`
    /// rows were bad (nil: no limit), since a mostly-bad file is more likely the wrong mapping than bad data.
    case skip(limit: Int?)

    /// Skip without limit.
    public static let skip = BadRowPolicy.skip(limit: nil)
}

/// What a read did: rows read and kept, and the rows skipped under `BadRowPolicy.skip`.
public struct ReadSummary: Hashable, Sendable, CustomStringConvertible {
    /// How many errors are kept in `firstErrors`.
    public static let keptErrors = 20

    public var files: Int = 0
    public var records: Int = 0
    public var skipped: Int = 0
    /// The first `keptErrors` skipped rows' errors, in reading order.
    public var firstErrors: [DatasetError] = []

    public init() {}

    public var description: String {
        var s = "\(records) record(s) from \(files) file(s)"
        if skipped > 0 {
            s += ", \(skipped) bad row(s) skipped"
            if let first = firstErrors.first { s += "; first: \(first)" }
        }
        return s
    }

    mutating func merge(_ other: ReadSummary) {
        files += other.files
        records += other.records
        skipped += other.skipped
        firstErrors += other.firstErrors.prefix(Self.keptErrors - firstErrors.count)
    }
}

/// Applies a policy to bad rows while reading one source.
struct BadRowHandler {
    let policy: BadRowPolicy
    var summary = ReadSummary()

    init(policy: BadRowPolicy) { self.policy = policy }

    mutating func bad(_ error: DatasetError) throws {
        switch policy {
        case .fail:
            throw error
        case .skip(let limit):
            summary.skipped += 1
            if summary.firstErrors.count < ReadSummary.keptErrors { summary.firstErrors.append(error) }
            if let limit, summary.skipped > limit {
                throw DatasetError(
                    .tooManyBadRows, file: error.file, line: error.line, column: error.column,
                    message: "more than \(limit) bad row(s); the last: \(error.message)",
                    hint: "check the format and field names in the pipeline file, or raise the bad-row limit")
            }
        }
    }
}
