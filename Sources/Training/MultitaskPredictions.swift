import Datasets
import NN
import Tensor

/// One task's predictions on rows of its shard, from forward passes without dropout: what a validation or test
/// metric needs (gold and predicted classes, or targets and predicted values) and the task's gate weights averaged
/// over the rows (models with experts).
public struct MultitaskPredictions: Sendable {
    /// Gold class per row (−1 when the row has none); empty for regression.
    public var gold: [Int] = []
    /// Arg-max class per row; empty for regression.
    public var predicted: [Int] = []
    /// Regression targets and predictions per row; empty for classification.
    public var targets: [Double] = []
    public var values: [Double] = []
    /// The task's gate weights averaged over the rows (nil without experts).
    public var meanGates: [Double]?
    /// Tokens read (padding excluded).
    public var tokens = 0

    public init() {}

    /// The predictions of `model`'s task `batcher.task` on the first `rows` rows of `shard`, `batchSize` rows per
    /// forward pass. Call without gradient recording. `shouldStop` is polled between batches; a stop returns what
    /// was predicted so far.
    public static func compute(
        model: MultitaskModel, batcher: TaskBatcher, shard: TokenShardReader, rows: Int, batchSize: Int,
        shouldStop: () -> Bool = { false }
    ) throws -> MultitaskPredictions {
        var out = MultitaskPredictions()
        let n = min(rows, shard.count)
        var gateSum: [Double]?
        var start = 0
        while start < n, !shouldStop() {
            let indices = Array(start..<min(n, start + max(1, batchSize)))
            start += indices.count
            let batch = try batcher.batch(shard, rows: indices)
            out.tokens += batch.tokens
            let result = model(batch, context: .inference)
            let y = result.output  // [B, K] or [B, 1]
            let k = y.shape[y.shape.count - 1]
            withExtendedLifetime(y) {
                for r in indices.indices {
                    let row = Array(UnsafeBufferPointer(start: y.pointer + r * k, count: k))
                    if batcher.spec.kind == .regression {
                        out.values.append(Double(row[0]))
                        out.targets.append(Double(batch.values[r]))
                    } else {
                        var best = 0
                        for j in 1..<max(1, k) where row[j] > row[best] { best = j }
                        out.predicted.append(best)
                        out.gold.append(batch.classes[r] == -100 ? -1 : Int(batch.classes[r]))
                    }
                }
            }
            if let g = result.gates {
                let e = g.shape[1]
                var sum = gateSum ?? [Double](repeating: 0, count: e)
                withExtendedLifetime(g) {
                    for r in 0..<g.shape[0] { for j in 0..<e { sum[j] += Double(g.pointer[r * e + j]) } }
                }
                gateSum = sum
            }
        }
        let count = Double(max(1, out.gold.count + out.values.count))
        out.meanGates = gateSum.map { $0.map { $0 / count } }
        return out
    }
}
