/// A training stage's error about its inputs, naming where (shard file, row, token) and the limit crossed.
public struct TrainingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case tokenOutOfVocabulary, sequenceTooLong, labelOutOfRange, tokenizerMismatch, checkpoint, invalidInput
    }

    public var kind: Kind
    /// The file the problem is in (a shard, a checkpoint, a model file).
    public var file: String
    /// The 0-based row (sequence) of a shard, when known.
    public var row: Int?
    public var message: String
    public var hint: String?

    public init(_ kind: Kind, file: String, row: Int? = nil, message: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.row = row
        self.message = message
        self.hint = hint
    }

    public var description: String {
        "\(file)\(row.map { ", row \($0)" } ?? ""): error: \(message)" + (hint.map { " (hint: \($0))" } ?? "")
    }
}
