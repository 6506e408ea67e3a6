import Tensor
import Testing

@testable import NN

/// The tape composes: parameter-efficient and multi-task constructions of later issues are plain compositions of
/// existing ops, and their gradients check out without any new backward code.
@Suite struct CompositionTests {
    func r(_ shape: [Int], _ seed: UInt64, scale: Float = 1) -> Tensor {
        GradientCheck.randomTensor(shape, seed: seed, scale: scale)
    }

    @Test func loraUpdateOnAFrozenLinear() {
        // y = x Wᵀ + b + (α/r) · (x Aᵀ) Bᵀ with W, b frozen; only A [r, in] and B [out, r] train.
        var ini = Initializer(seed: 1)
        let base = Linear(inputDimensions: 6, outputDimensions: 4, initializer: &ini, std: 0.5)
        for p in base.parameters { p.requiresGrad = false }
        let (a, b) = (r([2, 6], 2), r([4, 2], 3))
        let x = r([3, 6], 4)
        let f = { base(x) + linear(linear(x, weight: a), weight: b).scaled(by: 16 / 2) }
        #expect(GradientCheck.run([a, b, x], f).isEmpty)
        #expect(base.weight.grad == nil)
    }

    @Test func bottleneckAdapterWithResidual() {
        // h + up(gelu(down(h))), Houlsby-style.
        var ini = Initializer(seed: 5)
        let down = Linear(inputDimensions: 8, outputDimensions: 3, initializer: &ini, std: 0.5)
        let up = Linear(inputDimensions: 3, outputDimensions: 8, initializer: &ini, std: 0.5)
        let h = r([2, 8], 6)
        #expect(GradientCheck.run([h] + down.parameters + up.parameters) { h + up(down(h).gelu()) }.isEmpty)
    }

    @Test func softmaxGatedMixtureOfExperts() {
        // CGC-style gate: out = Σ_e softmax(gate(x))_e · expert_e(x), written with existing ops.
        var ini = Initializer(seed: 7)
        let experts = (0..<3).map { _ in Linear(inputDimensions: 4, outputDimensions: 4, initializer: &ini, std: 0.5) }
        let gate = Linear(inputDimensions: 4, outputDimensions: 3, initializer: &ini, std: 0.5)
        let x = r([1, 4], 8)
        let f = { () -> Tensor in
            let weights = gate(x).softmax()  // [1, 3]
            let outs = experts.map { $0(x) }  // 3 × [1, 4]
            // Broadcast weight e over the expert's row: weights [1,3] · onehot_e [3,4] gives [1,4] of w_e.
            var total: Tensor?
            for (e, out) in outs.enumerated() {
                let pick = Tensor((0..<12).map { $0 / 4 == e ? 1 : 0 }, shape: [3, 4])
                let term = matmul(weights, pick) * out
                total = total.map { $0 + term } ?? term
            }
            return total!
        }
        #expect(GradientCheck.run([x] + gate.parameters + experts.flatMap(\.parameters), f).isEmpty)
    }

    @Test func gradientReversalFeedsAnAdversarialHead() {
        var ini = Initializer(seed: 9)
        let head = Linear(inputDimensions: 4, outputDimensions: 2, initializer: &ini, std: 0.5)
        let h = r([3, 4], 10)
        #expect(
            GradientCheck.run([h] + head.parameters) { head(h.gradientReversed(lambda: 0.3).tanh()) }.isEmpty == false)
        // The check "fails" exactly as reversal intends: the gradient reaching h is −0.3 × the true one.
        h.requiresGrad = true
        head(h.gradientReversed(lambda: 0.3).tanh()).sum().backward()
        let reversed = h.grad!.scalars
        h.zeroGrad()
        head(h.tanh()).sum().backward()
        let plain = h.grad!.scalars
        for (g, p) in zip(reversed, plain) { #expect(abs(g + 0.3 * p) < 1e-6) }
    }
}
