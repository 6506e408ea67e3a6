import NN
import Tensor

/// How a multitask step combines its tasks' losses and gradients.
public enum LossWeightingMethod: Sendable, Hashable {
    /// Σ wᵢ Lᵢ (all 1 by default).
    case fixed([Float])
    /// Kendall et al. with learned log-variances (see ``UncertaintyWeighting``).
    case uncertainty
    /// Dynamic Weight Average: the weights of the current epoch, set by the stage from ``DynamicWeightAverage``.
    case dynamic([Double])
}

/// The gradient part of a multitask step: one forward and backward per task batch of the step (each task's
/// loss weighted), the shared trunk's per-task gradients kept apart when PCGrad or the conflict monitor needs
/// them, then combined — by PCGrad's projection or by summing. Task-specific parameters (heads, experts of one
/// task, gates, uncertainty log-variances) accumulate their own gradients. The optimizer update is the caller's.
public final class MultitaskStep {
    public let model: MultitaskModel
    public let weighting: LossWeightingMethod
    public let uncertainty: UncertaintyWeighting?
    public let pcgrad: Bool
    public let seed: UInt64

    public init(model: MultitaskModel, weighting: LossWeightingMethod, pcgrad: Bool, seed: UInt64) {
        self.model = model
        self.weighting = weighting
        uncertainty = weighting == .uncertainty ? UncertaintyWeighting(tasks: model.tasks.count) : nil
        self.pcgrad = pcgrad
        self.seed = seed
    }

    /// Parameters of the step itself that the optimizer must update (the uncertainty log-variances).
    public var ownParameters: [(name: String, tensor: Tensor)] {
        uncertainty.map { [("loss_weighting.log_vars", $0.logVariances)] } ?? []
    }

    public struct Result {
        /// The unweighted loss of each batch, in batch order.
        public var losses: [Double]
        /// Each batch's flattened gradient on the shared parameters, when they were kept apart.
        public var sharedGradients: [[Float]]?
        /// Gate weights averaged over each batch's rows (task order of the batches), when the model has experts.
        public var meanGates: [[Float]?]
    }

    /// Runs forward and backward for `batches` (one per task present; several batches of one task are fine).
    /// `separateGradients` forces the shared gradients apart (the conflict monitor's steps) without PCGrad.
    /// `domainBatches` (batch, domain label per row) train the domain classifier with reversal coefficient
    /// `lambda`. Gradients are accumulated into the parameters; the caller zeroes them before.
    public func run(
        _ batches: [TaskBatch], step: Int, separateGradients: Bool = false,
        domainBatches: [(TaskBatch, [Int32])] = [], lambda: Float = 0
    ) -> Result {
        precondition(!batches.isEmpty, "a multitask step needs at least one batch")
        var losses: [Double] = []
        var gates: [[Float]?] = []
        let keepApart = (pcgrad && batches.count > 1) || separateGradients
        let shared = model.sharedParameters
        var closures: [() -> Tensor] = []
        for (pass, batch) in batches.enumerated() {
            closures.append {
                let ctx = ForwardContext(training: true, seed: self.seed, step: UInt64(step), pass: UInt64(pass))
                let (loss, out) = self.model.loss(batch, context: ctx)
                losses.append(Double(loss.item))
                gates.append(out.gates.map { Self.columnMeans($0) })
                return self.weighted(loss, task: batch.task)
            }
        }
        for (k, (batch, domains)) in domainBatches.enumerated() {
            guard let clf = model.domainClassifier else { break }
            closures.append {
                let ctx = ForwardContext(
                    training: true, seed: self.seed, step: UInt64(step), pass: UInt64(batches.count + k))
                // The shared trunk alone (no task's LoRA), with this pass's dropout masks.
                self.model.contextSource?.current = ctx
                self.model.taskSelector?.current = nil
                let hidden = self.model.trunk.hiddenStates(batch.input, context: ctx)
                let pooled = self.model.pooling(hidden, mask: batch.input.attentionMask)
                return crossEntropy(logits: clf(pooled, lambda: lambda), targets: domains)
            }
        }
        guard keepApart else {
            GradMode.withGrad {
                for f in closures {
                    let l = f()
                    if l.requiresGrad { l.backward() }
                }
            }
            return Result(losses: losses, sharedGradients: nil, meanGates: gates)
        }
        let all = PCGrad.taskGradients(shared: shared, losses: closures)
        let perTask = Array(all.prefix(batches.count))
        var combined =
            pcgrad
            ? PCGrad.combine(perTask, seed: seed, step: step)
            : perTask.dropFirst().reduce(perTask[0]) { acc, g in zip(acc, g).map { $0 + $1 } }
        // The domain classifier's reversed gradient is added as is: projecting it against the tasks' gradients
        // would remove the very component DANN wants.
        for g in all.dropFirst(batches.count) { combined = zip(combined, g).map { $0 + $1 } }
        PCGrad.assignGradient(combined, to: shared)
        return Result(losses: losses, sharedGradients: perTask, meanGates: gates)
    }

    /// The loss as it enters the gradient.
    func weighted(_ loss: Tensor, task: Int) -> Tensor {
        switch weighting {
        case .fixed(let w): return w.isEmpty ? loss : loss.scaled(by: w[task])
        case .dynamic(let w): return w.isEmpty ? loss : loss.scaled(by: Float(w[task]))
        case .uncertainty:
            // Lᵢ / (2 e^{sᵢ}) + sᵢ / 2 for this task alone: the other tasks' terms belong to their own batches.
            guard let u = uncertainty else { return loss }
            let s = u.logVariances.reshaped([-1, 1]).gatheringRows([task]).reshaped([])
            return loss * s.scaled(by: -1).exp().scaled(by: 0.5) + s.scaled(by: 0.5)
        }
    }

    /// Column means of `[B, E]`.
    static func columnMeans(_ w: Tensor) -> [Float] {
        let (nb, ne) = (w.shape[0], w.shape[1])
        return (0..<ne).map { e in (0..<nb).reduce(Float(0)) { $0 + w.pointer[$1 * ne + e] } / Float(max(nb, 1)) }
    }
}
