import Datasets
import Foundation
import Models
import NN
import Tensor
import Testing

@testable import Training

/// Per-row held-out losses: the same numbers whatever the batch a row is in (padding is masked out), summing to
/// the batch loss the domain-pretrain stage used to compute, for an encoder (MLM) and a decoder (CLM).
@Suite struct HeldOutPerplexityTests {
    /// A shard of 7 rows of lengths 1…13 over ids 3..<23 (ids 0…2 are special for the MLM builder).
    func shard() throws -> TokenShardReader {
        let dir = try temporaryDirectory("held-out")
        let w = try TokenShardWriter(path: dir + "/validation.bin", tokenWidth: 2)
        for r in 0..<7 {
            let length = r == 6 ? 1 : 13 - r * 2
            try w.append([1] + (0..<max(0, length - 1)).map { UInt32(3 + (r * 7 + $0 * 5) % 20) })
        }
        try w.finish()
        return try TokenShardReader(path: dir + "/validation.bin")
    }

    var models: [(LanguageModel, LMBatchBuilder)] {
        var gpt = GPTConfig()
        (gpt.vocabSize, gpt.nPositions, gpt.nEmbd, gpt.nLayer, gpt.nHead) = (23, 16, 8, 2, 2)
        let collator = MaskedLMCollator(
            probability: 0.4, maskID: 2, vocabularySize: 23,
            isSpecial: [true, true, true] + Array(repeating: false, count: 20))
        return [
            (
                .masked(TinyBert.model(), createdHead: false),
                LMBatchBuilder(objective: .masked(collator), padID: 0, seed: 5, rowStride: 64)
            ),
            (
                .causal(GPTModel(config: gpt, seed: 2)),
                LMBatchBuilder(objective: .causal, padID: 0, seed: 5, rowStride: 64)
            ),
        ]
    }

    @Test func rowLossesDoNotDependOnTheBatchAndSumToTheBatchLoss() throws {
        let shard = try shard()
        for (model, builder) in models {
            let one = try HeldOutPerplexity.rowLosses(
                model: model, builder: builder, shard: shard, rows: 7, batchSize: 1)
            let three = try HeldOutPerplexity.rowLosses(
                model: model, builder: builder, shard: shard, rows: 7, batchSize: 3)
            #expect(one.count == 7 && three.count == 7)
            for (a, b) in zip(one, three) {
                #expect(a.tokens == b.tokens)
                #expect(abs(a.nll - b.nll) <= 1e-4 * max(1, a.nll), "\(a) vs \(b)")
            }
            // The whole split as one batch: its mean loss times its targets is the sum of the rows' NLL.
            let all = builder.batch(shard, rows: Array(0..<7), keys: Array(0..<7), rng: builder.evaluationRNG)
            let (loss, count) = GradMode.withoutGrad { model.loss(all, context: .inference) }
            #expect(count == one.reduce(0) { $0 + $1.tokens })
            let total = one.reduce(0) { $0 + $1.nll }
            #expect(abs(Double(loss.item) * Double(count) - total) <= 1e-4 * total)
            let (ppl, tokens) = HeldOutPerplexity.perplexity(one)
            #expect(tokens == count && abs(ppl - exp(Double(loss.item))) <= 1e-4 * ppl)
            // Every row has a loss when it has targets; the one-token row has none for CLM.
            #expect(one.allSatisfy { $0.tokens == 0 ? $0.nll == 0 : $0.nll > 0 })
        }
        let causal = try HeldOutPerplexity.rowLosses(
            model: models[1].0, builder: models[1].1, shard: shard, rows: 7, batchSize: 4)
        #expect(causal.map(\.tokens) == [12, 10, 8, 6, 4, 2, 0])
    }

    @Test func aStopRequestEndsTheEvaluation() throws {
        let shard = try shard()
        let (model, builder) = models[0]
        #expect(throws: TrainingStopped.self) {
            try HeldOutPerplexity.rowLosses(
                model: model, builder: builder, shard: shard, rows: 7, batchSize: 2, shouldStop: { true })
        }
        #expect(HeldOutPerplexity.perplexity([]).perplexity.isNaN)
    }
}
