/// The cosine similarity of the tasks' gradients on the shared trunk, per task pair, every N steps: negative
/// values mean the tasks pull the trunk apart (candidates for separate models, PCGrad or more experts), positive
/// values mean they help each other.
public struct GradientConflictMonitor: Sendable {
    public struct Pair: Codable, Hashable, Sendable {
        public var first: String
        public var second: String
        public var cosine: Double
    }

    public let tasks: [String]
    /// Measure when `step % every == 0`.
    public let every: Int

    public init(tasks: [String], every: Int) {
        self.tasks = tasks
        self.every = max(1, every)
    }

    public func isDue(step: Int) -> Bool { step % every == 0 }

    /// Cosines for every pair i < j of `gradients` (one flattened shared gradient per task, in task order); a pair
    /// with a zero gradient has cosine 0.
    public func measure(_ gradients: [[Float]]) -> [Pair] {
        precondition(gradients.count == tasks.count, "\(gradients.count) gradients for \(tasks.count) tasks")
        let norms = gradients.map { PCGrad.dot($0, $0).squareRoot() }
        var out: [Pair] = []
        for i in 0..<tasks.count {
            for j in (i + 1)..<tasks.count {
                let d = PCGrad.dot(gradients[i], gradients[j])
                let c = norms[i] > 0 && norms[j] > 0 ? d / (norms[i] * norms[j]) : 0
                out.append(Pair(first: tasks[i], second: tasks[j], cosine: c))
            }
        }
        return out
    }
}
