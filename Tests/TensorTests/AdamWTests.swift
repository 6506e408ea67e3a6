import Foundation
import Testing

@testable import Tensor

/// AdamW's named state: per-parameter step (a late parameter's first update is a fresh Adam step), groups with
/// their own rate and decay, and a restore that reproduces the uninterrupted trajectory bitwise.
@Suite struct AdamWTests {
    @Test func aLateParameterTakesAFreshFirstStep() {
        let early = Tensor([1], shape: [1])
        let late = Tensor([1], shape: [1])
        let opt = AdamW(
            groups: [.init(name: "g", parameters: [("early", early), ("late", late)], learningRate: 0.1, weightDecay: 0)])
        for _ in 0..<5 {
            early.grad = Tensor([0.3], shape: [1])
            opt.update()
        }
        late.grad = Tensor([0.3], shape: [1])
        early.grad = Tensor([0.3], shape: [1])
        opt.update()
        #expect(opt.state["early"]?.step == 6 && opt.state["late"]?.step == 1)
        // Adam's first step moves by lr·g/(|g|+ε) ≈ lr, whatever the global step count.
        #expect(abs((1 - late.item) - 0.1) < 1e-6)
    }

    @Test func groupsHaveTheirOwnRateAndDecay() {
        let a = Tensor([2], shape: [1])
        let b = Tensor([2], shape: [1])
        let opt = AdamW(groups: [
            .init(name: "decay", parameters: [("a", a)], learningRate: 0.1, weightDecay: 0.5),
            .init(name: "none", parameters: [("b", b)], learningRate: 0.01, weightDecay: 0),
        ])
        a.grad = Tensor([0], shape: [1])
        b.grad = Tensor([1], shape: [1])
        opt.update(learningRateScale: 0.5)
        #expect(abs(a.item - 2 * (1 - 0.05 * 0.5)) < 1e-6)  // decay only: p·(1 - lr·wd), lr = 0.1·0.5
        #expect(abs(b.item - (2 - 0.005)) < 1e-6)  // a first Adam step of lr = 0.01·0.5
    }

    @Test func restoringStateContinuesBitwise() {
        func grads(_ s: Int) -> [Float] { (0..<4).map { Float(sin(Double(s * 4 + $0))) } }
        let p = Tensor([0.1, -0.2, 0.3, 0.4], shape: [4])
        let opt = AdamW(parameters: [p], learningRate: 0.05)
        for s in 0..<6 {
            p.grad = Tensor(grads(s), shape: [4])
            opt.update()
        }
        let q = Tensor([0.1, -0.2, 0.3, 0.4], shape: [4])
        let first = AdamW(parameters: [q], learningRate: 0.05)
        for s in 0..<3 {
            q.grad = Tensor(grads(s), shape: [4])
            first.update()
        }
        let copy = first.state.mapValues { AdamW.State(m: $0.m.detached(), v: $0.v.detached(), step: $0.step) }
        let resumed = AdamW(parameters: [q], learningRate: 0.05)
        #expect(resumed.restore(step: first.step, state: copy).isEmpty)
        #expect(resumed.restore(step: first.step, state: copy.merging(["other": copy["0"]!]) { a, _ in a }) == ["other"])
        for s in 3..<6 {
            q.grad = Tensor(grads(s), shape: [4])
            resumed.update()
        }
        #expect(q.scalars == p.scalars)
    }
}
