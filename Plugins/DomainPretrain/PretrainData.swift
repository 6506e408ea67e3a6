import Datasets
import Tensor
import Training

/// Builds padded LM batches from shard rows: masked for MLM (``MaskedLMCollator``), shifted for CLM.
struct PretrainData {
    enum Objective { case masked(MaskedLMCollator), causal }

    let objective: Objective
    let padID: Int32
    let seed: UInt64
    /// Counters per row (4 per token of the longest possible row), so rows of a batch draw disjoint numbers.
    let rowStride: Int

    /// The batch of `rows` of `shard`, masked from `rng` (MLM) with row keys `keys` (a row's counters start at
    /// `key · rowStride`).
    func batch(_ shard: TokenShardReader, rows: [Int], keys: [Int], rng: CounterRNG) -> LMBatch {
        let sequences = rows.map { shard.tokens(at: $0).map { Int32(truncatingIfNeeded: $0) } }
        let time = max(1, sequences.map(\.count).max() ?? 1)
        var ids = [Int32](repeating: padID, count: rows.count * time)
        var mask = [Int32](repeating: 0, count: rows.count * time)
        var targets = [Int32](repeating: -100, count: rows.count * time)
        var tokens = 0
        for (r, seq) in sequences.enumerated() {
            tokens += seq.count
            let o = r * time
            for t in seq.indices { mask[o + t] = 1 }
            switch objective {
            case .masked(let collator):
                // Version 2 shards carry the tokenizer's special-tokens mask and word ids; older ones fall back to
                // the index's special ids and the WordPiece ## rule.
                let (masked, tg) = collator.mask(
                    seq, specialMask: shard.specialTokensMask(at: rows[r]),
                    wordIds: collator.continuesWord == nil ? nil : shard.wordIds(at: rows[r]), rng: rng,
                    base: keys[r] * rowStride)
                for t in seq.indices {
                    ids[o + t] = masked[t]
                    targets[o + t] = tg[t]
                }
            case .causal:
                for t in seq.indices { ids[o + t] = seq[t] }
                for t in 0..<max(0, seq.count - 1) { targets[o + t] = seq[t + 1] }
            }
        }
        return LMBatch(batch: rows.count, time: time, ids: ids, mask: mask, targets: targets, tokens: tokens)
    }

    /// The generator of training step `step`, micro-batch `pass`.
    func trainingRNG(step: Int, pass: Int) -> CounterRNG {
        CounterRNG(seed: seed, stream: 0x4D4C_4D00_0000_0000 &+ UInt64(step) &* 1024 &+ UInt64(pass))
    }

    /// The generator of evaluation: fixed, so every evaluation masks each held-out row the same way.
    var evaluationRNG: CounterRNG { CounterRNG(seed: seed, stream: 0xE7A1_0000_0000_0000) }
}
