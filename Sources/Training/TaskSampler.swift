import Foundation
import Tensor

/// Which task each step (or each example of a mixed batch) trains on.
///
/// Every draw is a pure function of (seed, step, slot): nothing is stateful, so the position to save in a
/// checkpoint is the step alone, and a resumed run draws exactly what an uninterrupted one would.
public struct TaskSampler: Sendable {
    public enum Strategy: Sendable, Hashable {
        /// pᵢ ∝ min(nᵢ, cap) (examples-proportional mixing; T5 with a cap, MT-DNN in expectation).
        case proportional(cap: Int?)
        /// pᵢ ∝ min(nᵢ, cap)^(1/T) (jiant's temperature sampling; T = 1 is proportional, T → ∞ uniform).
        case temperature(Double, cap: Int?)
        case uniform
        /// Tasks in turn: step s trains task s mod K (every slot of a mixed batch in turn).
        case roundRobin
        /// pᵢ ∝ the given weights.
        case explicit([Double])
    }

    public enum Batches: String, Sendable, Codable {
        /// Every batch holds one task's examples (MT-DNN).
        case singleTask = "single_task"
        /// Each example of a batch draws its own task.
        case mixed
    }

    public let strategy: Strategy
    public let seed: UInt64
    /// The tasks' probabilities (for round-robin: each 1/K).
    public let probabilities: [Double]
    private let cumulative: [Double]

    /// `sizes[i]` is task i's training-set size. Throws on no tasks, an empty task, or weights that cannot form a
    /// distribution (key `sampling`).
    public init(sizes: [Int], strategy: Strategy, seed: UInt64) throws {
        guard !sizes.isEmpty else { throw Self.error("no tasks to sample from") }
        guard sizes.allSatisfy({ $0 > 0 }) else { throw Self.error("a task has no training examples: sizes \(sizes)") }
        func capped(_ cap: Int?) throws -> [Double] {
            if let cap, cap <= 0 { throw Self.error("cap \(cap) must be positive") }
            return sizes.map { Double(min($0, cap ?? $0)) }
        }
        let weights: [Double]
        switch strategy {
        case .proportional(let cap): weights = try capped(cap)
        case .temperature(let t, let cap):
            guard t.isFinite && t > 0 else { throw Self.error("temperature \(t) must be a positive number") }
            weights = try capped(cap).map { Foundation.pow($0, 1 / t) }
        case .uniform, .roundRobin: weights = sizes.map { _ in 1 }
        case .explicit(let w):
            guard w.count == sizes.count else {
                throw Self.error("\(w.count) weights for \(sizes.count) tasks")
            }
            guard w.allSatisfy({ $0.isFinite && $0 >= 0 }) && w.contains(where: { $0 > 0 }) else {
                throw Self.error("weights \(w) must be non-negative numbers, not all zero")
            }
            weights = w
        }
        let total = weights.reduce(0, +)
        self.strategy = strategy
        self.seed = seed
        probabilities = weights.map { $0 / total }
        var c: [Double] = []
        var run = 0.0
        for p in probabilities {
            run += p
            c.append(run)
        }
        cumulative = c
    }

    public var taskCount: Int { probabilities.count }

    /// The task of step `step` (single-task batches).
    public func task(step: Int) -> Int { draw(step) }

    /// The task of each of the `size` examples of step `step`'s batch.
    public func tasks(step: Int, batches: Batches, size: Int) -> [Int] {
        switch batches {
        case .singleTask: return [Int](repeating: draw(step), count: size)
        case .mixed: return (0..<size).map { draw(step &* size &+ $0, stream: 1) }
        }
    }

    /// Draw number `index` of `stream`: round-robin by index, else inverse-CDF of a 48-bit uniform.
    func draw(_ index: Int, stream: UInt64 = 0) -> Int {
        if case .roundRobin = strategy { return ((index % taskCount) + taskCount) % taskCount }
        let rng = CounterRNG(seed: seed, stream: 0x7A5C_0000 &+ stream)
        let hi = UInt64(rng.bits(2 &* index)), lo = UInt64(rng.bits(2 &* index &+ 1) >> 16)
        let u = Double((hi << 16) | lo) / 281_474_976_710_656.0  // [0, 1), 48 bits
        return cumulative.firstIndex { u < $0 } ?? (taskCount - 1)
    }

    static func error(_ message: String) -> TrainingError {
        TrainingError(.invalidInput, file: "sampling", message: message)
    }
}
