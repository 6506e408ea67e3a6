import Tensor

/// Inverted dropout with probability `p`, active only in a training context.
public struct Dropout {
    public let p: Float

    public init(p: Float) {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        self.p = p
    }

    public func callAsFunction(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        guard context.training, p > 0 else { return x }
        return x.dropout(p, rng: context.nextRNG())
    }
}
