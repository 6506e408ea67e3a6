import Foundation
import Tensor
import Testing

@testable import Training

@Suite struct LossWeightingTests {
    @Test func uncertaintyWeightingMatchesAHandComputedCase() {
        let u = UncertaintyWeighting(tasks: 2)
        u.logVariances.pointer[1] = 0.3  // s = [-0.5, 0.3]
        let losses = [Tensor([2], shape: []), Tensor([0.5], shape: [])]
        for l in losses { l.requiresGrad = true }
        let total = GradMode.withGrad { u(losses) }
        // 2/(2e^-0.5) + 0.5/(2e^0.3) + (-0.5 + 0.3)/2
        let expected = 2 / (2 * exp(-0.5)) + 0.5 / (2 * exp(0.3)) - 0.1
        #expect(abs(Double(total.item) - expected) < 1e-6)
        GradMode.withGrad { total.backward() }
        // ∂/∂sᵢ = −Lᵢ/(2e^{sᵢ}) + 1/2; ∂/∂Lᵢ = 1/(2e^{sᵢ})
        let gs = u.logVariances.grad!.scalars
        #expect(abs(Double(gs[0]) - (-2 / (2 * exp(-0.5)) + 0.5)) < 1e-5)
        #expect(abs(Double(gs[1]) - (-0.5 / (2 * exp(0.3)) + 0.5)) < 1e-5)
        #expect(abs(Double(losses[0].grad!.item) - 1 / (2 * exp(-0.5))) < 1e-6)
        #expect(abs(Double(u.weights[1]) - 1 / (2 * exp(0.3))) < 1e-6)
        #expect(GradientCheck.run([u.logVariances] + losses) { u(losses) }.isEmpty)
    }

    @Test func dynamicWeightAverageMatchesAHandComputedCase() throws {
        var dwa = DynamicWeightAverage(tasks: 3)
        #expect(dwa.weights == [1, 1, 1])
        dwa.endEpoch(meanLosses: [1.0, 2.0, 0.5])
        #expect(dwa.weights == [1, 1, 1])
        dwa.endEpoch(meanLosses: [0.5, 1.8, 0.5])
        // r = [0.5, 0.9, 1]; λ = 3 softmax(r/2)
        let e = [0.5, 0.9, 1].map { exp($0 / 2) }
        let expected = e.map { 3 * $0 / e.reduce(0, +) }
        for (a, b) in zip(dwa.weights, expected) { #expect(abs(a - b) < 1e-12) }
        #expect(abs(dwa.weights.reduce(0, +) - 3) < 1e-12)
        dwa.endEpoch(meanLosses: [0.5, 0.9, 1])  // only the last two epochs count
        let r2 = [1.0, 0.5, 2].map { exp($0 / 2) }
        #expect(abs(dwa.weights[2] - 3 * r2[2] / r2.reduce(0, +)) < 1e-12)
        let restored = try JSONDecoder().decode(DynamicWeightAverage.self, from: JSONEncoder().encode(dwa))
        #expect(restored == dwa)
    }

    @Test func staticWeights() {
        let total = weightedSum([Tensor([2], shape: []), Tensor([3], shape: [])], weights: [0.5, 2])
        #expect(total.item == 7)
    }
}
