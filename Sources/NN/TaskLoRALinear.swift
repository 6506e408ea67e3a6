import Tensor

/// Which task the forward pass in progress serves, for layers that keep one module per task (task-specific LoRA).
/// The training step sets ``current`` before each task's pass; `nil` computes the shared model alone.
public final class TaskSelector {
    public var current: String?

    public init(_ current: String? = nil) { self.current = current }
}

/// One LoRA per task beside a frozen shared projection: `y = inner(x) + s·B_t(A_t(dropout(x)))` for the selected
/// task t (none: `inner(x)`), so each task trains its own small update on one shared trunk.
///
/// Names follow PEFT's in-memory multi-adapter layout, the task as the adapter name: `lora_A.<task>.weight`,
/// `lora_B.<task>.weight`; PEFT saves each adapter in its own folder without the name (see ``PEFTLoRAFiles``).
public final class TaskLoRALinear: LinearLayer {
    public let inner: any LinearLayer
    /// Task → its LoRA (only its `a`, `b` and scale are used; its `inner` is this layer's).
    public let loras: [(task: String, lora: LoRALinear)]
    let selector: TaskSelector

    public init(
        wrapping inner: any LinearLayer, tasks: [String], rank: Int, alpha: Float, dropout: Float = 0,
        rsLoRA: Bool = false, initializer: inout Initializer, context: ContextSource, selector: TaskSelector
    ) {
        self.inner = inner
        self.selector = selector
        loras = tasks.map { task in
            (
                task,
                LoRALinear(
                    wrapping: inner, rank: rank, alpha: alpha, dropout: dropout, rsLoRA: rsLoRA,
                    initializer: &initializer, context: context)
            )
        }
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        loras.flatMap { [("lora_A.\($0.task).weight", $0.lora.a), ("lora_B.\($0.task).weight", $0.lora.b)] }
    }
    public var namedChildren: [(name: String, module: any Module)] { [("", inner)] }
    public var inputDimensions: Int { inner.inputDimensions }
    public var outputDimensions: Int { inner.outputDimensions }

    /// x `[..., in]` → `[..., out]` with the selected task's update.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard let task = selector.current, let lora = loras.first(where: { $0.task == task })?.lora else {
            return inner(x)
        }
        return inner(x) + lora.update(x)
    }
}

extension Module {
    /// Wraps every slot `configuration` targets in a ``TaskLoRALinear`` with one LoRA per task of `tasks`; returns
    /// the wrapped modules' names. Task names must be non-empty and dot-free (they become parameter-name segments).
    @discardableResult
    public func applyTaskLoRA(
        _ configuration: LoRAConfiguration, tasks: [String], initializer: inout Initializer, context: ContextSource,
        selector: TaskSelector
    ) throws -> [String] {
        try configuration.validate()
        guard !tasks.isEmpty, Set(tasks).count == tasks.count,
            tasks.allSatisfy({ !$0.isEmpty && !$0.contains(".") })
        else {
            throw PEFTError(
                key: "lora.per_task", message: "task names \(tasks) must be distinct, non-empty, without dots")
        }
        let slots = namedSlots.filter { configuration.targets($0.name) }
        guard !slots.isEmpty else {
            throw PEFTError(key: "lora.target_modules", message: "\(configuration.targetModules) name no projection")
        }
        for (_, slot) in slots {
            slot.wrap { current in
                TaskLoRALinear(
                    wrapping: current, tasks: tasks, rank: configuration.rank, alpha: configuration.alpha,
                    dropout: configuration.dropout, rsLoRA: configuration.rsLoRA, initializer: &initializer,
                    context: context, selector: selector)
            }
        }
        return slots.map(\.name)
    }
}
