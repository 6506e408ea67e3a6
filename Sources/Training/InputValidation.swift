import Datasets

/// Checks token shards against a model before any kernel runs, so that bad input is a located error instead of
/// an out-of-bounds read or a precondition trap inside an op.
public struct InputValidation: Sendable {
    /// Token ids must be below this (the model's vocabulary size).
    public var vocabularySize: Int
    /// Sequences may hold at most this many tokens (the model's position table).
    public var maxPositions: Int
    /// Class labels must be in `0..<classes` (or -1, none), when checked.
    public var classes: Int?

    public init(vocabularySize: Int, maxPositions: Int, classes: Int? = nil) {
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.classes = classes
    }

    /// Reads every sequence of `shard` once and throws at the first that breaks a limit.
    public func check(_ shard: TokenShardReader) throws {
        for row in 0..<shard.count {
            let length = shard.length(at: row)
            if length > maxPositions {
                throw TrainingError(
                    .sequenceTooLong, file: shard.path, row: row,
                    message: "sequence of \(length) tokens; the model has \(maxPositions) positions",
                    hint: "tokenize with max_length ≤ \(maxPositions)")
            }
            let tokens = shard.tokens(at: row)
            if let k = tokens.firstIndex(where: { Int($0) >= vocabularySize }) {
                throw TrainingError(
                    .tokenOutOfVocabulary, file: shard.path, row: row,
                    message: "token \(k) has id \(tokens[k]); the model's vocabulary has \(vocabularySize) ids",
                    hint: "tokenize with the model's tokenizer")
            }
            if let classes, let label = shard.classLabel(at: row), label != -1, !(0..<Int32(classes)).contains(label) {
                throw TrainingError(
                    .labelOutOfRange, file: shard.path, row: row,
                    message: "class label \(label); the head has \(classes) classes")
            }
        }
    }

    /// Throws unless the tokenizer the shards were made with (`shardDigest`, from the tokenize artifact's index)
    /// is the model's (`modelDigest`, of its tokenizer.json).
    public static func checkTokenizer(shardDigest: String, modelDigest: String, index: String, model: String) throws {
        guard shardDigest == modelDigest else {
            throw TrainingError(
                .tokenizerMismatch, file: index,
                message:
                    "the shards were tokenized with tokenizer sha256 \(shardDigest.prefix(12))…, the model's "
                    + "tokenizer.json (\(model)) is \(modelDigest.prefix(12))…",
                hint: "tokenize with the model's tokenizer (tokenizer.source: model)")
        }
    }
}
