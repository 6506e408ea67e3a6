import Datasets
import Models
import NN

/// Builds one task's padded batches from the rows of its token shard (a tokenize stage's split): ids padded to
/// the batch's longest row, the attention mask, segment ids for pairs (type 1 after the first text), and the
/// labels the task's head needs. Rows without a class label (−1) are ignored by the loss (−100).
public struct TaskBatcher: Sendable {
    public let task: Int
    public let spec: TaskSpec
    public let padID: Int32

    public init(task: Int, spec: TaskSpec, padID: Int32) {
        self.task = task
        self.spec = spec
        self.padID = padID
    }

    /// Throws before training when the shard cannot serve the task's head (labels of the wrong kind or none).
    public func check(_ shard: TokenShardReader) throws {
        switch spec.kind {
        case .sequenceClassification, .pairClassification:
            guard shard.contents.contains(.classLabels) else {
                throw TrainingError(
                    .invalidInput, file: shard.path,
                    message: "task '\(spec.name)' is a classifier but the shard has no class labels",
                    hint: "set labels: { <input>: class } in the tokenize stage, or make the task a regression")
            }
        case .regression:
            guard shard.contents.contains(.numericLabels) else {
                throw TrainingError(
                    .invalidInput, file: shard.path,
                    message: "task '\(spec.name)' is a regression but the shard has no numeric labels",
                    hint: "set labels: { <input>: number } in the tokenize stage")
            }
        case .tokenClassification:
            throw TrainingError(
                .invalidInput, file: shard.path,
                message:
                    "task '\(spec.name)': token classification needs per-token labels, which token shards do not hold yet"
            )
        }
    }

    /// The batch of `rows`; throws on a label outside the task's classes or a non-finite regression target, with
    /// the shard and row.
    public func batch(_ shard: TokenShardReader, rows: [Int]) throws -> TaskBatch {
        let sequences = rows.map { shard.tokens(at: $0) }
        let nt = max(1, sequences.map(\.count).max() ?? 1)
        let nb = rows.count
        var ids = [Int32](repeating: padID, count: nb * nt)
        var mask = [Int32](repeating: 0, count: nb * nt)
        var types: [Int32]? = shard.contents.contains(.pairs) ? [Int32](repeating: 0, count: nb * nt) : nil
        var classes: [Int32] = []
        var values: [Float] = []
        for (r, seq) in sequences.enumerated() {
            let row = rows[r]
            for (t, id) in seq.enumerated() {
                ids[r * nt + t] = Int32(truncatingIfNeeded: id)
                mask[r * nt + t] = 1
            }
            if types != nil, let first = shard.firstSegmentLength(at: row) {
                for t in min(max(first, 0), seq.count)..<seq.count { types?[r * nt + t] = 1 }
            }
            switch spec.kind {
            case .sequenceClassification, .pairClassification, .tokenClassification:
                let label = shard.classLabel(at: row) ?? -1
                guard label < spec.labels else {
                    throw TrainingError(
                        .labelOutOfRange, file: shard.path, row: row,
                        message: "label \(label) of task '\(spec.name)' is outside its \(spec.labels) classes")
                }
                classes.append(label < 0 ? -100 : label)
            case .regression:
                let value = shard.numericLabel(at: row) ?? .nan
                guard value.isFinite else {
                    throw TrainingError(
                        .invalidInput, file: shard.path, row: row,
                        message: "regression target of task '\(spec.name)' is \(value)")
                }
                values.append(value)
            }
        }
        let input = EncoderInput(batch: nb, time: nt, inputIds: ids, tokenTypeIds: types, attentionMask: mask)
        return TaskBatch(task: task, input: input, classes: classes, values: values)
    }
}
