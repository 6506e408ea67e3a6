import Foundation
import Tensor

/// Learned uncertainty weighting of task losses (Kendall, Gal & Cipolla 2018, in LibMTL's form): one log-variance
/// sᵢ per task (init −0.5), total = Σᵢ Lᵢ / (2 e^{sᵢ}) + sᵢ / 2. The sᵢ train with the model (parameter
/// `log_vars` `[K]`), so a noisier task's weight falls as its sᵢ grows.
public final class UncertaintyWeighting {
    public let logVariances: Tensor

    public init(tasks: Int, initial: Float = -0.5) {
        logVariances = Tensor(repeating: initial, shape: [tasks], requiresGrad: true)
        logVariances.name = "log_vars"
    }

    /// The weighted total of `losses` (scalars, one per task, in task order).
    public func callAsFunction(_ losses: [Tensor]) -> Tensor {
        precondition(losses.count == logVariances.count, "\(losses.count) losses for \(logVariances.count) tasks")
        let l = stacked(losses)  // [K]
        let precision = logVariances.scaled(by: -1).exp().scaled(by: 0.5)  // 1 / (2 e^s)
        return (l * precision).sum() + logVariances.sum().scaled(by: 0.5)
    }

    /// The current weights 1 / (2 e^{sᵢ}) (for metrics).
    public var weights: [Float] { logVariances.scalars.map { 1 / (2 * Foundation.exp($0)) } }
}

/// Dynamic Weight Average (Liu, Johns & Davison 2019): from the third epoch, λᵢ = K · softmax(rᵢ / T) with
/// rᵢ = Lᵢ(t−1) / Lᵢ(t−2) the ratio of the last two epochs' mean losses; before that every λᵢ = 1. A task whose loss
/// falls more slowly gets more weight. Codable so the loss history resumes from a checkpoint.
public struct DynamicWeightAverage: Codable, Hashable, Sendable {
    public let tasks: Int
    public let temperature: Double
    /// Mean loss per task of each finished epoch (the last two are used).
    public private(set) var history: [[Double]] = []

    public init(tasks: Int, temperature: Double = 2) {
        self.tasks = tasks
        self.temperature = temperature
    }

    /// Records an epoch's mean loss per task.
    public mutating func endEpoch(meanLosses: [Double]) {
        precondition(meanLosses.count == tasks, "\(meanLosses.count) losses for \(tasks) tasks")
        history.append(meanLosses)
        if history.count > 2 { history.removeFirst(history.count - 2) }
    }

    /// The weights for the next epoch.
    public var weights: [Double] {
        guard history.count == 2 else { return [Double](repeating: 1, count: tasks) }
        let r = (0..<tasks).map { history[1][$0] / max(history[0][$0], 1e-12) }
        let e = r.map { Foundation.exp($0 / temperature) }
        let z = e.reduce(0, +)
        return e.map { Double(tasks) * $0 / z }
    }
}

/// Fixed task weights: total = Σᵢ wᵢ Lᵢ.
public func weightedSum(_ losses: [Tensor], weights: [Float]) -> Tensor {
    precondition(losses.count == weights.count && !losses.isEmpty, "one weight per loss")
    var total = losses[0].scaled(by: weights[0])
    for i in 1..<losses.count { total = total + losses[i].scaled(by: weights[i]) }
    return total
}
