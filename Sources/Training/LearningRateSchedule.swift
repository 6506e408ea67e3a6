import Foundation

/// The learning-rate factor at each optimizer step: a linear warm-up from 0, then constant, linear decay to 0 or
/// a half-cosine to 0 at `totalSteps` (the formulas of HF `get_constant_schedule_with_warmup`,
/// `get_linear_schedule_with_warmup` and `get_cosine_schedule_with_warmup`). The optimizer multiplies every
/// group's rate by it.
public struct LearningRateSchedule: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case constant, linear, cosine
    }

    public var kind: Kind
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(kind: Kind, warmupSteps: Int = 0, totalSteps: Int) {
        self.kind = kind
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
    }

    /// The factor for the update that follows `step` completed updates (0-based, like HF's `LambdaLR`).
    public func factor(at step: Int) -> Float {
        if step < warmupSteps { return Float(step) / Float(max(1, warmupSteps)) }
        switch kind {
        case .constant:
            return 1
        case .linear:
            return max(0, Float(totalSteps - step) / Float(max(1, totalSteps - warmupSteps)))
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return Float(max(0, 0.5 * (1 + cos(Double.pi * progress))))
        }
    }
}
