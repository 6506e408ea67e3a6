import Tensor

/// Gradient accumulation: several micro-batches whose gradients add up to the gradient of one big batch.
///
/// A loss that is a mean over a micro-batch's targets (tokens for MLM) is weighted by that micro-batch's share of
/// all the step's targets, so the accumulated gradient is the gradient of the mean over the whole batch — the
/// same update as one big batch up to float rounding, whatever the micro-batch sizes.
public enum GradientAccumulation {
    /// The weight of each micro-batch's mean loss: its target count over the total (0 everywhere when the total
    /// is 0).
    public static func weights(targetCounts: [Int]) -> [Float] {
        let total = targetCounts.reduce(0, +)
        guard total > 0 else { return targetCounts.map { _ in 0 } }
        return targetCounts.map { Float($0) / Float(total) }
    }

    /// Backpropagates `loss` (a scalar) scaled by `weight`, adding into the parameters' gradients.
    public static func backward(_ loss: Tensor, weight: Float) {
        guard loss.requiresGrad, weight != 0 else { return }
        loss.backward(seed: Tensor([weight], shape: loss.shape))
    }
}
