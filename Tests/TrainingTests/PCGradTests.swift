import Tensor
import Testing

@testable import Training

@Suite struct PCGradTests {
    @Test func removesExactlyTheConflictingComponentInAHandComputedTwoTaskCase() {
        // g1 = (1, 0), g2 = (−1, 1): g1·g2 = −1 < 0.
        // g1' = g1 − (−1/2) g2 = (0.5, 0.5); g2' = g2 − (−1/1) g1 = (0, 1); sum (0.5, 1.5).
        let g: [[Float]] = [[1, 0], [-1, 1]]
        #expect(PCGrad.combine(g) { [1 - $0] } == [0.5, 1.5])
        #expect(PCGrad.combine(g, seed: 3, step: 0) == [0.5, 1.5])
        // Task 1 alone projected: the sum minus the untouched g2 is g1', orthogonal to g2 (the conflicting
        // component is gone) and with g1's component along g2's normal (1, 1)/√2 kept.
        let onlyFirst = PCGrad.combine(g) { $0 == 0 ? [1] : [] }
        let g1p = [onlyFirst[0] - g[1][0], onlyFirst[1] - g[1][1]]
        #expect(g1p[0] * g[1][0] + g1p[1] * g[1][1] == 0)
        #expect(g1p[0] + g1p[1] == g[0][0] + g[0][1])
    }

    @Test func leavesNonConflictingGradientsAlone() {
        let g: [[Float]] = [[1, 2, 0], [0.5, 0, 3]]
        #expect(PCGrad.combine(g, seed: 1, step: 4) == [1.5, 2, 3])
        #expect(PCGrad.combine([[1, -1]], seed: 1, step: 0) == [1, -1])
    }

    @Test func projectsAgainstTheOriginalGradientsInTheGivenOrder() {
        // Three tasks: g1 conflicts with g2 and g3; the order of projection changes the result.
        let g: [[Float]] = [[1, 0], [-1, 1], [-1, -2]]
        let a = PCGrad.combine(g) { i in i == 0 ? [1, 2] : [0, 1, 2].filter { $0 != i } }
        let b = PCGrad.combine(g) { i in i == 0 ? [2, 1] : [0, 1, 2].filter { $0 != i } }
        #expect(a != b)
        // By hand for task 0 with order [1, 2]: (1,0) → (0.5, 0.5); ·g3 = −1.5 < 0 → (0.5,0.5) + 0.3·(−1,−2) = (0.2, −0.1).
        let t0 = PCGrad.combine([g[0], g[1], g[2]]) { i in i == 0 ? [1, 2] : [] }
        let expected: [Float] = [0.2 + -1 + -1, -0.1 + 1 + -2]
        for (x, e) in zip(t0, expected) { #expect(abs(x - e) < 1e-6) }
    }

    @Test func taskGradientsComeFromOneBackwardPerTaskOnTheSharedParameters() {
        let w = Tensor([1, 2], shape: [2], requiresGrad: true)  // shared
        let h1 = Tensor([3], shape: [1], requiresGrad: true)  // task 0's head
        let g = PCGrad.taskGradients(
            shared: [w],
            losses: [{ (w * w).sum() + multiplied(w, h1).sum() }, { w.sum().scaled(by: -1) }])
        #expect(g == [[2 + 3, 4 + 3], [-1, -1]])
        #expect(w.grad == nil)
        #expect(h1.grad?.scalars == [3])  // ∂/∂h1 Σ w·h1 = Σ w
        PCGrad.assignGradient(PCGrad.combine(g, seed: 1, step: 0), to: [w])
        #expect(w.grad != nil)
    }
}
