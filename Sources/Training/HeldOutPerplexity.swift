import Datasets
import Foundation
import Tensor

/// One evaluated sequence's share of a perplexity: its summed negative log-likelihood (nats) and the number of
/// tokens predicted (masked tokens for MLM, next tokens for CLM).
public struct RowLoss: Hashable, Sendable {
    public var nll: Double
    public var tokens: Int

    public init(nll: Double, tokens: Int) {
        self.nll = nll
        self.tokens = tokens
    }
}

/// Held-out perplexity of a language model on the rows of a shard, per row so that callers can bootstrap over
/// rows. Rows are keyed by their index and masked from ``LMBatchBuilder/evaluationRNG``: the same rows with the
/// same builder options (seed, masking rate, whole words) mask the same positions for every model.
public enum HeldOutPerplexity {
    /// The losses of rows `0..<min(rows, shard.count)` of `shard`, in batches of `batchSize`, with no dropout and
    /// no gradient recording. Throws ``TrainingStopped`` when `shouldStop` says so between batches.
    public static func rowLosses(
        model: LanguageModel, builder: LMBatchBuilder, shard: TokenShardReader, rows: Int, batchSize: Int,
        shouldStop: () -> Bool = { false }
    ) throws -> [RowLoss] {
        let n = min(rows, shard.count)
        let size = max(1, batchSize)
        var out: [RowLoss] = []
        out.reserveCapacity(n)
        try GradMode.withoutGrad {
            var start = 0
            while start < n {
                if shouldStop() { throw TrainingStopped() }
                let batchRows = Array(start..<min(n, start + size))
                let b = builder.batch(shard, rows: batchRows, keys: batchRows, rng: builder.evaluationRNG)
                out += model.rowLosses(b)
                start += batchRows.count
            }
        }
        return out
    }

    /// exp(Σ nll / Σ tokens) of `rows` (NaN for no tokens), and the token count.
    public static func perplexity(_ rows: [RowLoss]) -> (perplexity: Double, tokens: Int) {
        var nll = 0.0, tokens = 0
        for r in rows {
            nll += r.nll
            tokens += r.tokens
        }
        return (tokens > 0 ? Foundation.exp(nll / Double(tokens)) : .nan, tokens)
    }
}
