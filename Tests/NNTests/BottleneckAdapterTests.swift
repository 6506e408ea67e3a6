import Tensor
import Testing

@testable import NN

@Suite struct BottleneckAdapterTests {
    @Test(arguments: [BottleneckAdapter.NonLinearity.swish, .relu, .gelu])
    func gradientCheck(act: BottleneckAdapter.NonLinearity) {
        var ini = Initializer(seed: 3)
        let base = Linear(inputDimensions: 6, outputDimensions: 8, initializer: &ini, std: 0.5)
        let adapter = BottleneckAdapter(
            wrapping: base, name: "t", bottleneck: 3, nonLinearity: act, std: 0.5, initializer: &ini)
        // Biases away from zero so relu's kink is not hit by the differences.
        fill(adapter.down.bias!, GradientCheck.randomTensor([3], seed: 9))
        let x = GradientCheck.randomTensor([2, 6], seed: 4)
        #expect(GradientCheck.run([x] + adapter.parameters) { adapter(x) }.isEmpty)
        #expect(
            adapter.namedParameters.map(\.name) == [
                "weight", "bias", "adapters.t.adapter_down.0.weight", "adapters.t.adapter_down.0.bias",
                "adapters.t.adapter_up.weight", "adapters.t.adapter_up.bias",
            ])
    }

    @Test func nearIdentityAtInit() {
        var ini = Initializer(seed: 5)
        let base = Linear(inputDimensions: 32, outputDimensions: 32, initializer: &ini, std: 0.1)
        let adapter = BottleneckAdapter(wrapping: base, name: "t", bottleneck: 2, initializer: &ini)
        let x = GradientCheck.randomTensor([4, 32], seed: 6)
        let (y, h) = GradMode.withoutGrad { (adapter(x).scalars, base(x).scalars) }
        let worst = zip(y, h).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-3)
        #expect(worst > 0)  // the adapter is there, just small
    }
}
