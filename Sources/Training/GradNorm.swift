import Foundation

/// GradNorm (Chen et al. 2018): task weights wᵢ (Σ wᵢ = K) learned so that each task's weighted gradient norm on
/// the shared parameters, Gᵢ = wᵢ‖∇Lᵢ‖, approaches Ḡ · rᵢ^α, where rᵢ = L̃ᵢ / mean(L̃), L̃ᵢ = Lᵢ / Lᵢ(0) (the relative
/// inverse training rate: a task that lags gets a larger target).
///
/// The loss Σ|Gᵢ − targetᵢ| with the targets held constant (as the paper does) has the gradient
/// sign(Gᵢ − targetᵢ)·‖∇Lᵢ‖ in wᵢ, so an update needs only the per-task gradient norms (from
/// ``MultitaskStep/Result/sharedGradients``) and losses; after each update the weights are clamped positive and
/// renormalised to sum to K. Codable so the weights and initial losses resume from a checkpoint. The step uses the
/// weights through ``LossWeightingMethod/dynamic(_:)``.
public struct GradNorm: Codable, Hashable, Sendable {
    public let alpha: Double
    public let learningRate: Double
    public private(set) var weights: [Double]
    public private(set) var initialLosses: [Double]?

    public init(tasks: Int, alpha: Double = 1.5, learningRate: Double = 0.025) {
        self.alpha = alpha
        self.learningRate = learningRate
        weights = [Double](repeating: 1, count: tasks)
    }

    /// One update from the tasks' unweighted shared-gradient norms and current losses (the first call records the
    /// initial losses). Returns the GradNorm loss Σ|Gᵢ − targetᵢ| before the update.
    @discardableResult
    public mutating func update(gradientNorms n: [Double], losses: [Double]) -> Double {
        let k = weights.count
        precondition(n.count == k && losses.count == k, "GradNorm: one norm and one loss per task")
        if initialLosses == nil { initialLosses = losses }
        let l0 = initialLosses ?? losses
        let relative = (0..<k).map { losses[$0] / max(l0[$0], 1e-12) }
        let meanRelative = relative.reduce(0, +) / Double(k)
        let g = (0..<k).map { weights[$0] * n[$0] }
        let meanG = g.reduce(0, +) / Double(k)
        let target = relative.map { meanG * Foundation.pow($0 / max(meanRelative, 1e-12), alpha) }
        var loss = 0.0
        for i in 0..<k {
            let d = g[i] - target[i]
            loss += abs(d)
            let sign: Double = d > 0 ? 1 : d < 0 ? -1 : 0
            weights[i] = max(weights[i] - learningRate * sign * n[i], 1e-6)
        }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 * Double(k) / total }
        return loss
    }
}
