import Datasets
import Foundation
import Models
import Tensor

/// Builds padded LM batches from shard rows: masked for MLM (``MaskedLMCollator``), shifted for CLM.
///
/// The masks of evaluation batches come from ``evaluationRNG`` and the row's index as its key, so any two
/// models evaluated with the same seed and masking options see the same masked positions (the domain-pretrain
/// stage's before/after, and the evaluate stage's model against the base).
public struct LMBatchBuilder: Sendable {
    public enum Objective: Sendable { case masked(MaskedLMCollator), causal }

    public let objective: Objective
    public let padID: Int32
    public let seed: UInt64
    /// Counters per row (4 per token of the longest possible row), so rows of a batch draw disjoint numbers.
    public let rowStride: Int

    public init(objective: Objective, padID: Int32, seed: UInt64, rowStride: Int) {
        self.objective = objective
        self.padID = padID
        self.seed = seed
        self.rowStride = rowStride
    }

    /// The builder for `model` on `corpus`: MLM masking with the corpus's special tokens (and whole words, from
    /// the shards' word ids or WordPiece continuations), or CLM.
    public static func make(
        model: LanguageModel, corpus: CorpusArtifact, maskProbability: Float, wholeWord: Bool, seed: UInt64
    ) throws -> LMBatchBuilder {
        let special = corpus.specialTokens
        let pad = Int32(special["[PAD]"] ?? special["<pad>"] ?? 0)
        switch model {
        case .causal, .llama:
            return LMBatchBuilder(objective: .causal, padID: pad, seed: seed, rowStride: 4 * model.maxPositions)
        case .masked:
            guard let mask = special["[MASK]"] ?? special["<mask>"] else {
                throw TrainingError(
                    .invalidInput, file: corpus.indexPath,
                    message: "the tokenizer has no [MASK] or <mask> token, which masked-LM needs")
            }
            var isSpecial = [Bool](repeating: false, count: model.vocabularySize)
            for id in special.values where id >= 0 && id < isSpecial.count { isSpecial[id] = true }
            var continues: [Bool]?
            if wholeWord {
                // Word ids in the shards (version 2) group words for any tokenizer; without them, WordPiece ##.
                let shard = corpus.splits["train"] ?? corpus.heldOut
                continues =
                    shard?.contents.contains(.wordIds) == true
                    ? [] : try wordPieceContinuations(corpus.tokenizerPath, count: model.vocabularySize)
            }
            let collator = MaskedLMCollator(
                probability: maskProbability, maskID: Int32(mask), vocabularySize: model.vocabularySize,
                isSpecial: isSpecial, continuesWord: continues)
            return LMBatchBuilder(
                objective: .masked(collator), padID: pad, seed: seed, rowStride: 4 * model.maxPositions)
        }
    }

    /// `continues[id]`: the WordPiece token `id` starts with the continuation prefix (`##`).
    static func wordPieceContinuations(_ path: String, count: Int) throws -> [Bool] {
        guard let data = try? ModelFile.read(path, maxBytes: ModelFile.tokenizerLimit),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let model = json["model"] as? [String: Any]
        else {
            throw TrainingError(.invalidInput, file: path, message: "cannot read the tokenizer for whole-word masking")
        }
        guard model["type"] as? String == "WordPiece", let vocab = model["vocab"] as? [String: Int] else {
            throw TrainingError(
                .invalidInput, file: path,
                message: "not a WordPiece tokenizer; whole-word masking (whole_word) needs its ## continuations")
        }
        let prefix = model["continuing_subword_prefix"] as? String ?? "##"
        var continues = [Bool](repeating: false, count: count)
        for (token, id) in vocab where id >= 0 && id < count && token.hasPrefix(prefix) && token != prefix {
            continues[id] = true
        }
        return continues
    }

    /// The batch of `rows` of `shard`, masked from `rng` (MLM) with row keys `keys` (a row's counters start at
    /// `key · rowStride`).
    public func batch(_ shard: TokenShardReader, rows: [Int], keys: [Int], rng: CounterRNG) -> LMBatch {
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
    public func trainingRNG(step: Int, pass: Int) -> CounterRNG {
        CounterRNG(seed: seed, stream: 0x4D4C_4D00_0000_0000 &+ UInt64(step) &* 1024 &+ UInt64(pass))
    }

    /// The generator of evaluation: fixed, so every evaluation masks each held-out row the same way.
    public var evaluationRNG: CounterRNG { CounterRNG(seed: seed, stream: 0xE7A1_0000_0000_0000) }
}
