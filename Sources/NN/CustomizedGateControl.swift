import Tensor

/// Gated experts between a shared trunk and the task heads: one CGC level, or a stack of them (Progressive
/// Layered Extraction, Tang et al. 2020), over the trunk's pooled output. Hard sharing is the absence of this
/// module (heads read the pooled output directly). Names: `levels.j.…` (see ``CGCLevel``).
public final class CustomizedGateControl: Module {
    public struct Configuration: Sendable, Hashable, Codable {
        public var sharedExperts: Int
        public var taskExperts: Int
        /// Hidden width of each expert's FFN.
        public var expertHidden: Int
        /// Width of each expert's output (the heads' input).
        public var expertOutput: Int
        /// 1 for CGC; more stacks PLE levels.
        public var levels: Int

        public init(
            sharedExperts: Int = 2, taskExperts: Int = 1, expertHidden: Int = 256, expertOutput: Int = 256,
            levels: Int = 1
        ) {
            self.sharedExperts = sharedExperts
            self.taskExperts = taskExperts
            self.expertHidden = expertHidden
            self.expertOutput = expertOutput
            self.levels = levels
        }

        public func validate() throws {
            guard sharedExperts >= 0 && taskExperts >= 0 && sharedExperts + taskExperts > 0,
                sharedExperts <= 64 && taskExperts <= 64
            else {
                throw PEFTError(
                    key: "cgc",
                    message: "shared_experts \(sharedExperts) and task_experts \(taskExperts) must be "
                        + "in 0...64 and not both 0")
            }
            guard (1...8).contains(levels) else {
                throw PEFTError(key: "cgc.levels", message: "\(levels) outside 1...8")
            }
            guard (1...65536).contains(expertHidden) && (1...65536).contains(expertOutput) else {
                throw PEFTError(key: "cgc.expert_hidden", message: "expert widths must be in 1...65536")
            }
            guard levels == 1 || sharedExperts > 0 else {
                throw PEFTError(key: "cgc.levels", message: "stacked levels need shared experts (the common path)")
            }
        }
    }

    public let configuration: Configuration
    public let levels: [CGCLevel]

    public init(tasks: Int, inputDimensions: Int, configuration: Configuration, initializer: inout Initializer) throws {
        try configuration.validate()
        self.configuration = configuration
        levels = (0..<configuration.levels).map { j in
            CGCLevel(
                tasks: tasks, inputDimensions: j == 0 ? inputDimensions : configuration.expertOutput,
                expertHidden: configuration.expertHidden, outputDimensions: configuration.expertOutput,
                sharedExpertCount: configuration.sharedExperts, taskExpertCount: configuration.taskExperts,
                sharedGate: j < configuration.levels - 1, initializer: &initializer)
        }
    }

    public var namedChildren: [(name: String, module: any Module)] {
        levels.enumerated().map { ("levels.\($0.offset)", $0.element) }
    }

    /// pooled `[B, C]` → per task `[B, D]`, and the final level's gate weights per task.
    public func callAsFunction(_ pooled: Tensor) -> (tasks: [Tensor], gateWeights: [Tensor]) {
        var taskInputs = [Tensor](repeating: pooled, count: levels[0].gates.count)
        var shared = pooled
        var gates: [Tensor] = []
        for level in levels {
            let out = level(taskInputs: taskInputs, sharedInput: shared)
            taskInputs = out.tasks
            if let s = out.shared { shared = s }
            gates = out.gateWeights
        }
        return (taskInputs, gates)
    }
}
