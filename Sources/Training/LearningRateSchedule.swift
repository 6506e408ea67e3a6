import Foundation

/// The learning-rate factor at each optimizer step: a linear warm-up from 0, then constant, linear decay to 0 or
/// a half-cosine to 0 at `totalSteps` (the formulas of HF `get_constant_schedule_with_warmup`,
/// `get_linear_schedule_with_warmup` and `get_cosine_schedule_with_warmup`). The optimizer multiplies every
/// group's rate by it. With `startStep` > 0 the factor is 1 before it and the schedule counts from it (a phase
/// that trains only a fresh head comes first at its own constant rate).
public struct LearningRateSchedule: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case constant, linear, cosine
    }

    public var kind: Kind
    public var warmupSteps: Int
    public var totalSteps: Int
    public var startStep: Int

    public init(kind: Kind, warmupSteps: Int = 0, totalSteps: Int, startStep: Int = 0) {
        self.kind = kind
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
        self.startStep = max(0, startStep)
    }

    /// The factor for the update that follows `step` completed updates (0-based, like HF's `LambdaLR`).
    public func factor(at globalStep: Int) -> Float {
        if globalStep < startStep { return 1 }
        let step = globalStep - startStep
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
