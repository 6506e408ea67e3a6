import NN
import Tensor
import Testing

@testable import Models

/// The decoder's padding mask: a right-padded row computes exactly what the unpadded row computes, and its
/// padding positions are ignored targets.
@Suite struct GPTPaddingTests {
    @Test func paddingChangesNothingForRealTokens() {
        let model = GPTModel(config: ModelGradientTests.tinyGPT, seed: 2)
        let real: [Int32] = [3, 1, 4, 1]
        let alone = GradMode.withoutGrad { model(real, batch: 1, time: 4, context: .inference).scalars }
        // Batch of two: the real row padded to 6 with garbage ids, and another full row.
        let ids: [Int32] = real + [7, 7] + [2, 7, 1, 8, 2, 8]
        let mask: [Int32] = [1, 1, 1, 1, 0, 0] + [1, 1, 1, 1, 1, 1]
        let both = GradMode.withoutGrad { model(ids, batch: 2, time: 6, attentionMask: mask, context: .inference) }
        let v = both.shape[2]
        let padded = Array(both.scalars[0..<(4 * v)])
        for i in 0..<alone.count { #expect(abs(alone[i] - padded[i]) <= 1e-5 * max(1, abs(alone[i])), "\(i)") }
        let targets = GPTModel.nextTokenTargets(ids, batch: 2, time: 6, attentionMask: mask)
        #expect(targets == [1, 4, 1, -100, -100, -100, 7, 1, 8, 2, 8, -100])
    }
}
