import Foundation
import Tensor
import Testing

@testable import NN

@Suite struct DomainClassifierTests {
    @Test(arguments: [Float(1), 0.25, 3])
    func gradientReversalIsIdentityForwardAndFlipsAndScalesBackward(lambda: Float) {
        let x = GradientCheck.randomTensor([2, 3], seed: 1)
        x.requiresGrad = true
        let seed = GradientCheck.randomTensor([2, 3], seed: 2)
        GradMode.withGrad {
            let y = x.gradientReversed(lambda: lambda)
            #expect(y.scalars == x.scalars)
            y.backward(seed: seed)
        }
        for (g, s) in zip(x.grad!.scalars, seed.scalars) { #expect(g == -lambda * s) }
    }

    @Test func scheduleFollowsGaninAndLempitsky() {
        let dann = ReversalSchedule.dann()
        #expect(dann.coefficient(progress: 0) == 0)
        for p: Float in [0.1, 0.5, 1] {
            #expect(abs(dann.coefficient(progress: p) - (2 / (1 + Foundation.exp(-10 * p)) - 1)) < 1e-7)
        }
        #expect(abs(dann.coefficient(progress: 0.5) - 0.986_614_3) < 1e-6)  // 2/(1+e^-5) - 1
        #expect(dann.coefficient(progress: 2) == dann.coefficient(progress: 1))
        #expect(
            ReversalSchedule.dann(gamma: 10, scale: 0.5).coefficient(progress: 0.5) == 0.5
                * dann.coefficient(progress: 0.5))
        #expect(ReversalSchedule.constant(0.3).coefficient(progress: 0.9) == 0.3)
    }

    @Test func classifierGradientReachesTheTrunkReversed() {
        var ini = Initializer(seed: 4)
        let clf = DomainClassifier(inputDimensions: 3, hidden: 4, domains: 2, initializer: &ini)
        for (i, p) in clf.parameters.enumerated() {
            fill(p, GradientCheck.randomTensor(p.shape, seed: UInt64(30 + i)))  // away from relu's kink at 0
        }
        let pooled = GradientCheck.randomTensor([4, 3], seed: 5)
        // The classifier's own parameters get ordinary gradients...
        #expect(GradientCheck.run(clf.parameters, h: 1e-3) { clf(pooled, lambda: 0.7) }.isEmpty)
        // ...and the input gets −λ times the gradient of the unreversed function.
        pooled.requiresGrad = true
        GradMode.withGrad { crossEntropy(logits: clf(pooled, lambda: 0.7), targets: [0, 1, 1, 0]).backward() }
        let reversed = pooled.grad!.scalars
        pooled.zeroGrad()
        clf.zeroGrad()
        GradMode.withGrad { crossEntropy(logits: clf(pooled, lambda: -1), targets: [0, 1, 1, 0]).backward() }
        let plain = pooled.grad!.scalars
        for (r, p) in zip(reversed, plain) { #expect(abs(r + 0.7 * p) < 1e-6) }
        #expect(plain.contains { $0 != 0 })
    }
}
