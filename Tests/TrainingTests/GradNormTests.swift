import Foundation
import Testing

@testable import Training

@Suite struct GradNormTests {
    @Test func updateMatchesAHandComputedCase() throws {
        var g = GradNorm(tasks: 2, alpha: 1, learningRate: 0.1)
        // First call: L̃ = 1 for both, r = 1; G = (1·2, 1·1) = (2, 1), Ḡ = 1.5, targets (1.5, 1.5).
        // w₁ ← 1 − 0.1·(+1)·2 = 0.8, w₂ ← 1 − 0.1·(−1)·1 = 1.1; renormalised to sum 2: (0.8, 1.1)·2/1.9.
        let loss = g.update(gradientNorms: [2, 1], losses: [4, 2])
        #expect(abs(loss - 1.0) < 1e-12)
        #expect(abs(g.weights[0] - 0.8 * 2 / 1.9) < 1e-12 && abs(g.weights[1] - 1.1 * 2 / 1.9) < 1e-12)
        // Second call: task 1's loss halved, task 2's unchanged: L̃ = (0.5, 1), mean 0.75, r = (2/3, 4/3).
        let w = g.weights
        let gs = [w[0] * 1, w[1] * 1]
        let meanG = (gs[0] + gs[1]) / 2
        let targets = [meanG * 2 / 3, meanG * 4 / 3]
        let expectedLoss = abs(gs[0] - targets[0]) + abs(gs[1] - targets[1])
        #expect(abs(g.update(gradientNorms: [1, 1], losses: [2, 2]) - expectedLoss) < 1e-12)
        // The lagging task (2) gains weight; the weights keep summing to K.
        #expect(g.weights[1] > w[1] && g.weights[0] < w[0])
        #expect(abs(g.weights.reduce(0, +) - 2) < 1e-12)
        let restored = try JSONDecoder().decode(GradNorm.self, from: JSONEncoder().encode(g))
        #expect(restored == g)
    }

    @Test func balancedTasksKeepEqualWeights() {
        var g = GradNorm(tasks: 3)
        for _ in 0..<5 { g.update(gradientNorms: [1, 1, 1], losses: [1, 1, 1]) }
        #expect(g.weights == [1, 1, 1])
    }
}
