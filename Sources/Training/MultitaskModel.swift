import Models
import NN
import Tensor

/// One task of a multitask model: its name (the key of its head and metrics), head kind and label count.
public struct TaskSpec: Sendable, Hashable, Codable {
    public var name: String
    public var kind: TaskHead.Kind
    /// Classes (ignored for regression).
    public var labels: Int
    /// The class names in index order (the tokenize index's label vocabulary), when known.
    public var labelNames: [String]?

    public init(name: String, kind: TaskHead.Kind, labels: Int, labelNames: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.labelNames = labelNames
    }
}

/// A batch of one task: encoder input and its labels — a class per row (sequence kinds), a value per row
/// (regression) or a class per token `[B, T]` with −100 where there is none (token classification).
public struct TaskBatch: Sendable {
    public var task: Int
    public var input: EncoderInput
    public var classes: [Int32]
    public var values: [Float]

    public init(task: Int, input: EncoderInput, classes: [Int32] = [], values: [Float] = []) {
        self.task = task
        self.input = input
        self.classes = classes
        self.values = values
    }

    /// Tokens of the batch (padding excluded).
    public var tokens: Int { input.attentionMask.map { $0.reduce(0) { $0 + Int($1) } } ?? input.batch * input.time }
}

/// A shared trunk (a BERT encoder or a Llama decoder, see ``MultitaskTrunk``) with a head per task (hard sharing),
/// optionally Customized Gate Control experts between the pooled trunk output and the sequence-level heads, and
/// optionally a DANN domain classifier on the pooled output. Token-classification heads read the trunk's token
/// states directly (experts pool, tagging cannot).
///
/// Names: the trunk's HF names without prefix (so LoRA weights export under PEFT's `base_model.model.`),
/// `heads.<task>.dense.*`, `cgc.levels.*`, `domain_classifier.*`.
public final class MultitaskModel: Module {
    public let trunk: any MultitaskTrunk
    public let pooling: Pooling
    public let tasks: [TaskSpec]
    public let heads: [TaskHead]
    public let experts: CustomizedGateControl?
    public let domainClassifier: DomainClassifier?
    public let headDropout: Float
    /// Set to the pass's context before each forward, for layers behind the `LinearLayer` interface that draw
    /// dropout masks (LoRA's dropout); nil when the trunk has none.
    public var contextSource: ContextSource?
    /// Set to the batch's task before each forward, for task-specific LoRA (``TaskLoRALinear``); nil without.
    public var taskSelector: TaskSelector?

    /// `pooling` nil: `cls` for an encoder, `last_token` for a decoder. Throws a ``TrainingError`` located at
    /// `pooling` when the pooling does not fit the trunk's kind (``TrunkKind/poolings``).
    public init(
        trunk: any MultitaskTrunk, tasks: [TaskSpec], pooling: Pooling? = nil,
        experts: CustomizedGateControl.Configuration? = nil,
        domains: Int = 0, headDropout: Float = 0.1, seed: UInt64
    ) throws {
        guard !tasks.isEmpty else { throw TrainingError(.invalidInput, file: "tasks", message: "no tasks") }
        guard Set(tasks.map(\.name)).count == tasks.count else {
            throw TrainingError(.invalidInput, file: "tasks", message: "task names repeat: \(tasks.map(\.name))")
        }
        for t in tasks where t.kind != .regression && t.labels < 2 {
            throw TrainingError(
                .invalidInput, file: "tasks.\(t.name)", message: "\(t.labels) labels; a classifier needs 2 or more")
        }
        let pooling = pooling ?? trunk.trunkKind.poolings[0]
        guard trunk.trunkKind.poolings.contains(pooling) else {
            throw TrainingError(
                .invalidInput, file: "pooling",
                message: "'\(pooling.rawValue)' does not fit a \(trunk.trunkKind.rawValue) trunk "
                    + "(model_type \(trunk.modelType))",
                hint: "use \(trunk.trunkKind.poolings.map(\.rawValue).joined(separator: " or "))")
        }
        var ini = Initializer(seed: seed)
        let c = trunk.hiddenSize
        let sequenceTasks = tasks.filter(\.kind.isSequenceLevel).count
        self.experts =
            try experts.flatMap { cfg in
                sequenceTasks == 0
                    ? nil
                    : try CustomizedGateControl(
                        tasks: tasks.count, inputDimensions: c, configuration: cfg, initializer: &ini)
            }
        let headInput = self.experts?.configuration.expertOutput ?? c
        heads = tasks.map { t in
            TaskHead(
                kind: t.kind, inputDimensions: t.kind.isSequenceLevel ? headInput : c, labels: t.labels,
                dropout: headDropout, initializer: &ini)
        }
        domainClassifier =
            domains >= 2 ? DomainClassifier(inputDimensions: c, hidden: c, domains: domains, initializer: &ini) : nil
        self.trunk = trunk
        self.pooling = pooling
        self.tasks = tasks
        self.headDropout = headDropout
    }

    public var namedChildren: [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = [("", trunk)]
        out += zip(tasks, heads).map { ("heads.\($0.name)", $1) }
        if let experts { out.append(("cgc", experts)) }
        if let domainClassifier { out.append(("domain_classifier", domainClassifier)) }
        return out
    }

    /// What a forward pass of one task's batch gives.
    public struct Output {
        /// The head's output: logits `[B, K]` / `[B, T, K]`, or `[B, 1]` for regression.
        public var output: Tensor
        /// The task's gate weights `[B, E]` when the model has experts and the task is sequence-level.
        public var gates: Tensor?
        /// The pooled trunk output `[B, C]` (for the domain classifier).
        public var pooled: Tensor
    }

    /// The head output of `batch`'s task.
    public func callAsFunction(_ batch: TaskBatch, context: ForwardContext) -> Output {
        contextSource?.current = context
        taskSelector?.current = tasks[batch.task].name
        let hidden = trunk.hiddenStates(batch.input, context: context)  // [B, T, C]
        let pooled = pooling(hidden, mask: batch.input.attentionMask)  // [B, C]
        let head = heads[batch.task]
        guard head.kind.isSequenceLevel else {
            return Output(output: head(hidden, context: context), gates: nil, pooled: pooled)
        }
        guard let experts else { return Output(output: head(pooled, context: context), gates: nil, pooled: pooled) }
        let (mixes, gates) = experts(pooled)
        return Output(output: head(mixes[batch.task], context: context), gates: gates[batch.task], pooled: pooled)
    }

    /// The task loss of `batch` (and the forward's output, for metrics).
    public func loss(_ batch: TaskBatch, context: ForwardContext) -> (loss: Tensor, output: Output) {
        let out = self(batch, context: context)
        return (heads[batch.task].loss(out.output, classes: batch.classes, values: batch.values), out)
    }

    /// The trunk's trainable parameters: what the tasks share (PCGrad's and the conflict monitor's domain).
    public var sharedParameters: [Tensor] { trunk.parameters.filter(\.requiresGrad) }
}
