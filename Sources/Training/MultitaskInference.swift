import Foundation
import Models
import NN
import Tensor

/// What one task's head says about one row: softmax probabilities and the arg-max class (classification kinds),
/// or the predicted value (regression).
public struct TaskPrediction: Sendable, Hashable {
    /// Softmax over the head's logits, in class order; empty for regression.
    public var probabilities: [Double]
    /// Arg-max class (the lowest index on ties); −1 for regression.
    public var predicted: Int
    /// The regression output; NaN for classification.
    public var value: Double

    public init(probabilities: [Double], predicted: Int, value: Double) {
        self.probabilities = probabilities
        self.predicted = predicted
        self.value = value
    }
}

/// Inference of a multitask model for its consumers (the evaluate stage, `finetunectl predict`): one trunk pass
/// per batch, every requested sequence-level head on it, no dropout, no gradient recording.
public enum MultitaskInference {
    /// The predictions of the heads `tasks` (indices into `model.tasks`, sequence-level kinds only) for every row
    /// of `input`: `rows[r][i]` is task `tasks[i]`'s prediction for row r. `gates[i]` holds that task's gate weights
    /// per row (`[B][E]`) when the model has experts.
    public static func predict(_ model: MultitaskModel, input: EncoderInput, tasks: [Int]) throws -> (
        rows: [[TaskPrediction]], gates: [[[Double]]?]
    ) {
        for t in tasks {
            guard model.tasks.indices.contains(t) else {
                throw TrainingError(.invalidInput, file: "tasks", message: "no task \(t) in the model")
            }
            guard model.heads[t].kind.isSequenceLevel else {
                throw TrainingError(
                    .invalidInput, file: "tasks.\(model.tasks[t].name)",
                    message: "token classification is not predicted (token shards hold no token labels yet)")
            }
        }
        return GradMode.withoutGrad {
            let hidden = model.trunk.hiddenStates(input, context: .inference)  // [B, T, C]
            let pooled = model.pooling(hidden, mask: input.attentionMask)  // [B, C]
            let mixed = model.experts.map { $0(pooled) }
            var rows = [[TaskPrediction]](repeating: [], count: input.batch)
            var gates: [[[Double]]?] = []
            for t in tasks {
                let head = model.heads[t]
                let y = head(mixed?.tasks[t] ?? pooled, context: .inference)  // [B, K] or [B, 1]
                let k = y.shape[y.shape.count - 1]
                withExtendedLifetime(y) {
                    for r in 0..<input.batch {
                        let logits = UnsafeBufferPointer(start: y.pointer + r * k, count: k)
                        rows[r].append(
                            head.kind == .regression
                                ? TaskPrediction(probabilities: [], predicted: -1, value: Double(logits[0]))
                                : classification(logits))
                    }
                }
                if let g = mixed?.gateWeights[t] {  // [B, E]
                    let e = g.shape[1]
                    gates.append(
                        withExtendedLifetime(g) {
                            (0..<input.batch).map { r in (0..<e).map { Double(g.pointer[r * e + $0]) } }
                        })
                } else {
                    gates.append(nil)
                }
            }
            return (rows, gates)
        }
    }

    /// Softmax (in Double, max subtracted) and arg-max of one row of logits.
    static func classification(_ logits: UnsafeBufferPointer<Float>) -> TaskPrediction {
        var best = 0
        for j in logits.indices where logits[j] > logits[best] { best = j }
        let top = Double(logits[best])
        let e = logits.map { Foundation.exp(Double($0) - top) }
        let sum = e.reduce(0, +)
        return TaskPrediction(probabilities: e.map { $0 / sum }, predicted: best, value: .nan)
    }

    /// The batch of token-id rows `sequences` (already truncated to the model's positions), padded with `padID`;
    /// `firstSegments[r]`, when given, is row r's first-segment length (pairs: type 1 after it).
    public static func input(sequences: [[Int32]], padID: Int32, firstSegments: [Int]? = nil) -> EncoderInput {
        let nt = max(1, sequences.map(\.count).max() ?? 1)
        let nb = sequences.count
        var ids = [Int32](repeating: padID, count: nb * nt)
        var mask = [Int32](repeating: 0, count: nb * nt)
        var types: [Int32]? = firstSegments == nil ? nil : [Int32](repeating: 0, count: nb * nt)
        for (r, seq) in sequences.enumerated() {
            for (t, id) in seq.enumerated() {
                ids[r * nt + t] = id
                mask[r * nt + t] = 1
            }
            if let first = firstSegments?[r] { for t in min(first, seq.count)..<seq.count { types?[r * nt + t] = 1 } }
        }
        return EncoderInput(batch: nb, time: nt, inputIds: ids, tokenTypeIds: types, attentionMask: mask)
    }
}
