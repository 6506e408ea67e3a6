import Tensor
import Testing

@testable import NN

@Suite struct LoRALinearTests {
    func r(_ shape: [Int], _ seed: UInt64, scale: Float = 1) -> Tensor {
        GradientCheck.randomTensor(shape, seed: seed, scale: scale)
    }

    func lora(layout: WeightLayout = .outIn, rank: Int = 3, alpha: Float = 6, dropout: Float = 0, rs: Bool = false)
        -> (Linear, LoRALinear)
    {
        var ini = Initializer(seed: 11)
        let base = Linear(inputDimensions: 5, outputDimensions: 4, layout: layout, initializer: &ini, std: 0.5)
        let l = LoRALinear(
            wrapping: base, rank: rank, alpha: alpha, dropout: dropout, rsLoRA: rs, initializer: &ini,
            context: ContextSource())
        return (base, l)
    }

    @Test func initIsPEFTsAndLeavesTheOutputUnchanged() {
        let (base, l) = lora()
        #expect(l.a.shape == [3, 5] && l.b.shape == [4, 3])
        let bound = 1 / Float(5).squareRoot()
        #expect(l.a.scalars.allSatisfy { abs($0) <= bound } && Set(l.a.scalars).count == 15)
        #expect(l.b.scalars.allSatisfy { $0 == 0 })
        #expect(l.namedParameters.map(\.name) == ["lora_A.weight", "lora_B.weight", "weight", "bias"])
        let x = r([2, 5], 1)
        GradMode.withoutGrad { #expect(l(x).scalars == base(x).scalars) }
    }

    @Test(arguments: [false, true])
    func scaleIsAlphaOverRankOrOverItsRoot(rs: Bool) {
        let (_, l) = lora(rank: 4, alpha: 8, rs: rs)
        #expect(l.scale == (rs ? 4 : 2))
        #expect(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["q"], rsLoRA: rs).scale == l.scale)
    }

    @Test(arguments: [WeightLayout.outIn, .inOut])
    func gradientCheck(layout: WeightLayout) {
        let (base, l) = lora(layout: layout)
        fill(l.b, r([4, 3], 5, scale: 0.5))
        let x = r([2, 2, 5], 2)
        #expect(GradientCheck.run([x, l.a, l.b] + base.parameters) { l(x) }.isEmpty)
    }

    @Test(arguments: [WeightLayout.outIn, .inOut])
    func mergedWeightComputesTheWrappedOutput(layout: WeightLayout) throws {
        let (base, l) = lora(layout: layout)
        fill(l.b, r([4, 3], 5, scale: 0.5))
        let x = r([3, 5], 3)
        let unmerged = GradMode.withoutGrad { l(x).scalars }
        #expect(unmerged != GradMode.withoutGrad { base(x).scalars })
        try l.merge()
        let merged = GradMode.withoutGrad { base(x).scalars }
        for (u, m) in zip(unmerged, merged) { #expect(abs(u - m) <= 1e-5) }
    }

    @Test func dropoutActsOnlyOnTheLowRankPathInTraining() {
        let (base, l) = lora(dropout: 0.5)
        fill(l.b, r([4, 3], 5, scale: 0.5))
        let x = r([4, 5], 3)
        let eval = GradMode.withoutGrad { l(x).scalars }
        l.context.current = ForwardContext(training: true, seed: 2, step: 1)
        let train = GradMode.withoutGrad { l(x).scalars }
        #expect(train != eval)
        // Where A's input is fully dropped for a row, the output is the base row: check by a zero B instead: the
        // training output minus the base output is exactly s·B·A·dropout(x).
        l.context.current = ForwardContext(training: true, seed: 2, step: 1)
        let dx = x.dropout(0.5, rng: ForwardContext(training: true, seed: 2, step: 1).nextRNG())
        let expected = GradMode.withoutGrad {
            (base(x) + linear(linear(dx, weight: l.a), weight: l.b).scaled(by: l.scale)).scalars
        }
        let again = GradMode.withoutGrad { l(x).scalars }
        for (a, e) in zip(again, expected) { #expect(abs(a - e) <= 1e-6) }
    }
}

/// Copies `source`'s values into `target` (keeping `source` alive for the copy: a temporary's storage may be
/// released as soon as its pointer is read).
func fill(_ target: Tensor, _ source: Tensor) {
    precondition(target.count == source.count)
    withExtendedLifetime(source) { target.pointer.update(from: source.pointer, count: source.count) }
}
