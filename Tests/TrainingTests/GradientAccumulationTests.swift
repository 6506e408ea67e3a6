import NN
import Tensor
import Testing

@testable import Training

/// Micro-batches of any size, weighted by their target counts, give the gradient of one big batch.
@Suite struct GradientAccumulationTests {
    @Test(arguments: [[4], [1, 3], [2, 1, 1], [1, 1, 1, 1]])
    func microBatchesGiveTheBigBatchGradient(_ split: [Int]) {
        let big = TinyBert.model()
        let inference = ForwardContext.inference  // no dropout: the comparison is about accumulation only
        GradMode.withGrad {
            let (loss, _) = TinyBert.loss(big, rows: [0, 1, 2, 3], context: inference)
            loss.backward()
        }
        let micro = TinyBert.model()
        var start = 0
        let chunks = split.map { n -> [Int] in
            defer { start += n }
            return Array(start..<start + n)
        }
        let counts = chunks.map { rows in rows.reduce(0) { $0 + TinyBert.rows($1).targets.filter { $0 != -100 }.count } }
        let weights = GradientAccumulation.weights(targetCounts: counts)
        GradMode.withGrad {
            for (rows, w) in zip(chunks, weights) {
                let (loss, _) = TinyBert.loss(micro, rows: rows, context: inference)
                GradientAccumulation.backward(loss, weight: w)
            }
        }
        for ((name, a), (_, b)) in zip(big.namedParameters, micro.namedParameters) {
            let (ga, gb) = (a.grad?.scalars ?? [], b.grad?.scalars ?? [])
            #expect(ga.count == gb.count, "\(name)")
            let scale = ga.map(abs).max() ?? 0
            for i in ga.indices where ga.count == gb.count {
                #expect(abs(ga[i] - gb[i]) <= 1e-5 * scale + 1e-7, "\(name)[\(i)]: \(ga[i]) vs \(gb[i])")
            }
        }
    }

    @Test func weightsAreShares() {
        #expect(GradientAccumulation.weights(targetCounts: [1, 3]) == [0.25, 0.75])
        #expect(GradientAccumulation.weights(targetCounts: [0, 0]) == [0, 0])
    }
}
