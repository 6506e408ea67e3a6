import Tensor

/// One level of Customized Gate Control (Tang et al. 2020): task-common experts, task-specific experts per task,
/// and per task a softmax gate over the experts it may use (its own and the common ones).
///
/// Task k's output is gᵏ = Σᵢ wᵏᵢ Eᵢ, wᵏ = softmax(W_gᵏ xᵏ) over [its m_k experts, the m_s common experts]. A
/// non-final level of a PLE stack also has a common gate over every expert, reading the common input, whose mix
/// feeds the next level's common experts. At the first level all inputs are the pooled trunk output.
/// Names: `shared_experts.i`, `task_experts.k.i`, `gates.k`, `shared_gate`.
public final class CGCLevel: Module {
    public let sharedExperts: [Expert]
    /// `taskExperts[k]`: task k's experts.
    public let taskExperts: [[Expert]]
    /// `gates[k]`: `[m_k + m_s, in]`.
    public let gates: [Linear]
    /// Present in non-final PLE levels: `[Σ m_k + m_s, in]`.
    public let sharedGate: Linear?

    /// `tasks` tasks with `taskExpertCount` experts each and `sharedExpertCount` common experts.
    public init(
        tasks: Int, inputDimensions: Int, expertHidden: Int, outputDimensions: Int, sharedExpertCount: Int,
        taskExpertCount: Int, sharedGate: Bool, initializer ini: inout Initializer
    ) {
        precondition(tasks > 0 && sharedExpertCount + taskExpertCount > 0, "CGC: no tasks or no experts")
        func expert(_ ini: inout Initializer) -> Expert {
            Expert(
                inputDimensions: inputDimensions, hidden: expertHidden, outputDimensions: outputDimensions,
                initializer: &ini)
        }
        sharedExperts = (0..<sharedExpertCount).map { _ in expert(&ini) }
        taskExperts = (0..<tasks).map { _ in (0..<taskExpertCount).map { _ in expert(&ini) } }
        let perTask = taskExpertCount + sharedExpertCount
        gates = (0..<tasks).map { _ in
            Linear(inputDimensions: inputDimensions, outputDimensions: perTask, initializer: &ini)
        }
        self.sharedGate =
            sharedGate
            ? Linear(
                inputDimensions: inputDimensions, outputDimensions: tasks * taskExpertCount + sharedExpertCount,
                initializer: &ini)
            : nil
    }

    public var namedChildren: [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = sharedExperts.enumerated().map {
            ("shared_experts.\($0.offset)", $0.element)
        }
        for (k, experts) in taskExperts.enumerated() {
            out += experts.enumerated().map { ("task_experts.\(k).\($0.offset)", $0.element) }
        }
        out += gates.enumerated().map { ("gates.\($0.offset)", $0.element) }
        if let sharedGate { out.append(("shared_gate", sharedGate)) }
        return out
    }

    public struct Output {
        /// Per task `[B, D]`.
        public var tasks: [Tensor]
        /// The common mix `[B, D]` for the next level (non-final levels only).
        public var shared: Tensor?
        /// Per task the gate weights `[B, m_k + m_s]` (task experts first), each row summing to one.
        public var gateWeights: [Tensor]
    }

    /// `taskInputs[k]` `[B, in]` per task, `sharedInput` `[B, in]` → per-task mixtures.
    public func callAsFunction(taskInputs: [Tensor], sharedInput: Tensor) -> Output {
        precondition(taskInputs.count == gates.count, "CGC: \(taskInputs.count) inputs for \(gates.count) tasks")
        let shared = sharedExperts.map { $0(sharedInput) }  // m_s × [B, D]
        var taskOutputs: [Tensor] = []
        var weights: [Tensor] = []
        var allTaskExperts: [Tensor] = []
        for (k, x) in taskInputs.enumerated() {
            let own = taskExperts[k].map { $0(x) }
            allTaskExperts += own
            let w = gates[k](x).softmax()  // [B, E]
            weights.append(w)
            taskOutputs.append(Self.mix(own + shared, w))
        }
        var sharedOut: Tensor?
        if let sharedGate {
            sharedOut = Self.mix(allTaskExperts + shared, sharedGate(sharedInput).softmax())
        }
        return Output(tasks: taskOutputs, shared: sharedOut, gateWeights: weights)
    }

    /// Σᵢ w[:, i] · Eᵢ: experts E × `[B, D]`, weights `[B, E]` → `[B, D]`.
    static func mix(_ experts: [Tensor], _ w: Tensor) -> Tensor {
        let e = stacked(experts, axis: 1)  // [B, E, D]
        let (nb, ne) = (w.shape[0], w.shape[1])
        return multiplied(e, w.reshaped([nb, ne, 1])).sum(axis: 1)  // [B, D]
    }
}
