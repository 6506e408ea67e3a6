import Tensor
import Testing

@testable import NN

/// Every NN layer under a finite-difference gradient check, with respect to its input and its parameters.
@Suite struct LayerGradientTests {
    func input(_ shape: [Int], _ seed: UInt64) -> Tensor { GradientCheck.randomTensor(shape, seed: seed) }

    @Test(arguments: [WeightLayout.outIn, .inOut])
    func linear(layout: WeightLayout) {
        var ini = Initializer(seed: 1)
        let layer = Linear(inputDimensions: 4, outputDimensions: 3, layout: layout, initializer: &ini, std: 0.5)
        let x = input([2, 2, 4], 2)
        #expect(layer.namedParameters.map(\.name) == ["weight", "bias"])
        #expect(layer.weight.shape == (layout == .outIn ? [3, 4] : [4, 3]))
        #expect(GradientCheck.run([x] + layer.parameters) { layer(x) }.isEmpty)
    }

    @Test func embedding() {
        var ini = Initializer(seed: 3)
        let layer = Embedding(count: 6, dimensions: 3, initializer: &ini, std: 1)
        #expect(GradientCheck.run(layer.parameters) { layer([5, 0, 5, 2]) }.isEmpty)
    }

    @Test func layerNorm() {
        let layer = LayerNorm(dimensions: 5, eps: 1e-5)
        let x = input([3, 5], 4)
        #expect(GradientCheck.run([x] + layer.parameters) { layer(x) }.isEmpty)
    }

    @Test func dropoutIsActiveOnlyInTraining() {
        let x = input([4, 8], 5)
        let dropout = Dropout(p: 0.5)
        #expect(dropout(x, .inference) === x)
        let a = dropout(x, ForwardContext(training: true, seed: 1, step: 3))
        let b = dropout(x, ForwardContext(training: true, seed: 1, step: 3))
        let c = dropout(x, ForwardContext(training: true, seed: 1, step: 4))
        #expect(a.scalars == b.scalars)  // same seed, step and site: same mask (resumable)
        #expect(a.scalars != c.scalars)
        #expect(GradientCheck.run([x]) { dropout(x, ForwardContext(training: true, seed: 1, step: 3)) }.isEmpty)
    }

    @Test func forwardContextGivesEachSiteItsOwnStream() {
        let ctx = ForwardContext(training: true, seed: 9, step: 2)
        let first = ctx.nextRNG()
        let second = ctx.nextRNG()
        #expect(first != second)
        #expect(ForwardContext(training: true, seed: 9, step: 2).nextRNG() == first)
    }

    @Test func gradientReversalNegatesAndScalesTheGradient() {
        let x = input([2, 3], 6)
        x.requiresGrad = true
        let y = x.gradientReversed(lambda: 0.5)
        #expect(y.scalars == x.scalars)
        y.sum().backward()
        #expect(x.grad!.scalars.allSatisfy { $0 == -0.5 })
    }

    @Test func moduleHelpersCountAndClear() {
        var ini = Initializer(seed: 1)
        let layer = Linear(inputDimensions: 4, outputDimensions: 3, initializer: &ini)
        #expect(layer.parameterCount == 15)
        let x = input([1, 4], 7)
        layer(x).sum().backward()
        #expect(layer.weight.grad != nil)
        layer.zeroGrad()
        #expect(layer.weight.grad == nil)
        #expect(scoped("a.b", layer).map(\.name) == ["a.b.weight", "a.b.bias"])
    }
}
