import Tensor

/// A task's output layer and loss over the trunk's (or an expert mixture's) representation.
///
/// Sequence and pair classification read a pooled `[B, C]` vector and train with cross-entropy (a pair is one
/// sequence `[CLS] a [SEP] b [SEP]` with segment ids, so it differs from a single sequence only in its input);
/// regression reads `[B, C]` and trains with the mean squared error; token classification reads every position
/// `[B, T, C]` and trains with cross-entropy over the labelled positions (label −100 elsewhere: padding, special
/// tokens, non-first word pieces). Parameters: `dense.weight`, `dense.bias` (`[K, C]`, `[K]`).
public final class TaskHead: Module {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case sequenceClassification = "sequence_classification"
        case pairClassification = "pair_classification"
        case regression
        case tokenClassification = "token_classification"

        /// Whether the head reads one pooled vector per sequence (else every token).
        public var isSequenceLevel: Bool { self != .tokenClassification }
    }

    public let kind: Kind
    public let dense: Linear
    public let dropout: Dropout

    /// `labels` is the number of classes (1 for regression).
    public init(kind: Kind, inputDimensions: Int, labels: Int, dropout: Float = 0.1, initializer: inout Initializer) {
        self.kind = kind
        dense = Linear(
            inputDimensions: inputDimensions, outputDimensions: kind == .regression ? 1 : labels,
            initializer: &initializer)
        self.dropout = Dropout(p: dropout)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("dense", dense)] }

    /// Logits `[B, K]` from `[B, C]` (or `[B, T, K]` from `[B, T, C]`); regression: `[B, 1]`.
    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor { dense(dropout(x, context)) }

    /// The loss of `output` (from ``callAsFunction(_:context:)``): cross-entropy against class `classes` (−100
    /// ignored) for the classification kinds, MSE against `values` for regression.
    public func loss(_ output: Tensor, classes: [Int32] = [], values: [Float] = []) -> Tensor {
        switch kind {
        case .sequenceClassification, .pairClassification, .tokenClassification:
            return crossEntropy(logits: output, targets: classes)
        case .regression:
            return meanSquaredError(output.reshaped([-1]), Tensor(values, shape: [values.count]))
        }
    }
}

/// mean((prediction − target)²) over all elements → a scalar (`torch.nn.functional.mse_loss`).
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    precondition(prediction.shape == target.shape, "meanSquaredError: \(prediction.shape) vs \(target.shape)")
    let d = prediction + target.scaled(by: -1)
    return (d * d).mean()
}
