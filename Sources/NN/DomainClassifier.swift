import Foundation
import Tensor

/// The coefficient λ of a gradient-reversal layer over training.
public enum ReversalSchedule: Sendable, Hashable {
    /// The same λ at every step.
    case constant(Float)
    /// Ganin & Lempitsky's λ(p) = 2/(1 + e^(−γp)) − 1 (γ = 10 in the paper), from 0 at the start to ~1 at the end,
    /// with p the training progress in [0, 1]; `scale` multiplies it.
    case dann(gamma: Float = 10, scale: Float = 1)

    /// λ at progress `p` (clamped to [0, 1]).
    public func coefficient(progress p: Float) -> Float {
        switch self {
        case .constant(let value): return value
        case .dann(let gamma, let scale):
            let q = min(max(p, 0), 1)
            return scale * (2 / (1 + Foundation.exp(-gamma * q)) - 1)
        }
    }
}

/// A domain classifier behind a gradient-reversal layer (DANN): it learns to tell the domains apart from the
/// pooled representation while the reversed gradient pushes the trunk to make them indistinguishable.
/// `dense.weight` `[H, C]`, `out_proj.weight` `[D, H]`.
public final class DomainClassifier: Module {
    public let dense: Linear
    public let outProjection: Linear

    public init(inputDimensions: Int, hidden: Int, domains: Int, initializer: inout Initializer) {
        dense = Linear(inputDimensions: inputDimensions, outputDimensions: hidden, initializer: &initializer)
        outProjection = Linear(inputDimensions: hidden, outputDimensions: domains, initializer: &initializer)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("dense", dense), ("out_proj", outProjection)] }

    /// pooled `[B, C]` → domain logits `[B, D]`; the gradient into `pooled` is −λ times the classifier's.
    public func callAsFunction(_ pooled: Tensor, lambda: Float) -> Tensor {
        outProjection(dense(pooled.gradientReversed(lambda: lambda)).relu())
    }
}
