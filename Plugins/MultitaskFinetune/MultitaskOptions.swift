import NN
import StageKit
import Training

/// The stage's parameters (docs/multitask.md lists every key): read from the `with:` mapping after the schema
/// below validated it and filled its defaults; what a schema cannot say (cross-key rules) is checked here, each
/// error naming its key.
struct MultitaskOptions: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case classification, pair, regression

        var head: TaskHead.Kind {
            switch self {
            case .classification: .sequenceClassification
            case .pair: .pairClassification
            case .regression: .regression
            }
        }
    }

    enum Metric: String, Sendable, CaseIterable {
        case accuracy
        case macroF1 = "macro_f1"
        case mcc
        case pearson, spearman

        var isRegression: Bool { self == .pearson || self == .spearman }
    }

    struct Task: Sendable {
        var name: String
        var input: String
        var kind: Kind
        var metric: Metric
        var weight: Float
    }

    enum Weighting: String, Sendable { case `static`, uncertainty, dwa, gradnorm }
    enum Method: String, Sendable { case none, lora, adapters }

    struct Adversarial: Sendable {
        var inputs: [String]
        var schedule: ReversalSchedule
    }

    var trunk = "auto"
    /// nil (`auto`): mean for an encoder trunk, last_token for a decoder.
    var pooling: Pooling?
    var tasks: [Task] = []
    var strategy = TaskSampler.Strategy.temperature(2, cap: nil)
    var batches = TaskSampler.Batches.singleTask
    var weighting = Weighting.static
    var dwaTemperature = 2.0
    var dwaWindow = 50
    var gradNormAlpha = 1.5
    var gradNormRate = 0.025
    var pcgrad = false
    var conflictEvery = 0
    var conflictRows = 16
    var method = Method.none
    var lora = LoRAConfiguration(rank: 8, alpha: 16, dropout: 0.1, targetModules: [])
    var perTask = false
    var adapters = BottleneckAdapterConfiguration()
    var experts: CustomizedGateControl.Configuration?
    var adversarial: Adversarial?
    var steps = 1000
    var batchSize = 16
    var learningRate: Float = 5e-5
    var headLearningRate: Float = 1e-3
    var warmupRatio = 0.06
    var schedule = LearningRateSchedule.Kind.linear
    var weightDecay: Float = 0.01
    var clipNorm: Float = 1
    var headDropout: Float = 0.1
    var freezeEmbeddings = false
    var evalEvery = 100
    var evalRows = 512
    var patience = 0
    var checkpointEvery = 100
    var keepCheckpoints = 2
    var seed: Int?
    var scoreTest = false

    static let allProjections = [
        "query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense",
    ]

    static let taskFields = [
        ParamSpec("input", .string, required: true, summary: "the task's data input in an upstream tokenize stage"),
        ParamSpec(
            "kind", .oneOf(Kind.allCases.map(\.rawValue)), default: "classification",
            summary: "classification (one text), pair (two texts, [CLS] a [SEP] b [SEP]) or regression (MSE)"),
        ParamSpec(
            "metric", .oneOf(Metric.allCases.map(\.rawValue)),
            summary: "validation metric: accuracy, macro_f1, mcc (classifiers); pearson, spearman (regression); "
                + "default accuracy / pearson"),
        ParamSpec("weight", .number(minimum: 0, maximum: 1000), default: 1.0, summary: "static loss weight"),
    ]

    static let schema = ParamSchema([
        ParamSpec(
            "trunk", .string, default: "auto",
            summary: "auto: the output of the one upstream stage that has model.safetensors (a domain-pretrain "
                + "stage), else model.base; base: always model.base; or the name of an upstream stage"),
        ParamSpec(
            "pooling", .oneOf(["auto"] + Pooling.allCases.map(\.rawValue)), default: "auto",
            summary: "the sequence representation the heads (or experts) read: cls or mean (encoder), last_token "
                + "(decoder); auto: mean for an encoder, last_token for a decoder"),
        ParamSpec("tasks", .map(.object(taskFields)), required: true, summary: "task name → its input, kind, metric, weight"),
        ParamSpec(
            "sampling",
            .object([
                ParamSpec(
                    "strategy", .oneOf(["proportional", "temperature", "uniform", "round_robin", "weights"]),
                    default: "temperature", summary: "which task trains at each step (or each row of a mixed batch)"),
                ParamSpec("temperature", .number(minimum: 0.01, maximum: 1000), default: 2.0, summary: "p ∝ n^(1/T)"),
                ParamSpec("cap", .integer(minimum: 1), summary: "training-set sizes are capped at this before sampling"),
                ParamSpec("weights", .map(.number(minimum: 0)), summary: "strategy weights: task → weight"),
                ParamSpec(
                    "batches", .oneOf(["single_task", "mixed"]), default: "single_task",
                    summary: "single_task: a step's batch holds one task; mixed: each row draws its task"),
            ]), default: [:], summary: "task sampling"),
        ParamSpec(
            "loss_weighting", .oneOf(["static", "uncertainty", "dwa", "gradnorm"]), default: "static",
            summary: "static (task weights), uncertainty (learned), dwa or gradnorm (both need mixed batches)"),
        ParamSpec(
            "dwa",
            .object([
                ParamSpec("temperature", .number(minimum: 0.01, maximum: 1000), default: 2.0),
                ParamSpec("window", .integer(minimum: 1, maximum: 1_000_000), default: 50, summary: "steps per DWA epoch"),
            ]), default: [:], summary: "Dynamic Weight Average"),
        ParamSpec(
            "gradnorm",
            .object([
                ParamSpec("alpha", .number(minimum: 0, maximum: 10), default: 1.5),
                ParamSpec("lr", .number(minimum: 0, maximum: 10), default: 0.025),
            ]), default: [:], summary: "GradNorm"),
        ParamSpec("pcgrad", .boolean, default: false, summary: "PCGrad on the trunk's gradients (mixed batches)"),
        ParamSpec(
            "conflict_monitor",
            .object([
                ParamSpec(
                    "every", .integer(minimum: 0, maximum: 10_000_000), default: 0,
                    summary: "every N steps: cosine of the tasks' trunk gradients, per pair (0: off)"),
                ParamSpec("rows", .integer(minimum: 1, maximum: 4096), default: 16, summary: "probe rows per task"),
            ]), default: [:], summary: "gradient-conflict monitor"),
        ParamSpec(
            "peft",
            .object([
                ParamSpec("method", .oneOf(["none", "lora", "adapters"]), default: "none", summary: "none: full fine-tuning"),
                ParamSpec("rank", .integer(minimum: 1, maximum: 4096), default: 8),
                ParamSpec("alpha", .number(minimum: 0.0001, maximum: 1e6), default: 16.0),
                ParamSpec("dropout", .number(minimum: 0, maximum: 0.99), default: 0.1),
                ParamSpec(
                    "target_modules", .array(.string),
                    summary: "projections (PEFT module names); absent: every projection of the trunk (BERT: "
                        + allProjections.joined(separator: ", ") + "; Llama: q_proj … down_proj)"),
                ParamSpec("rslora", .boolean, default: false, summary: "scale α/√r instead of α/r"),
                ParamSpec(
                    "per_task", .boolean, default: false,
                    summary: "lora or adapters: one LoRA / adapter set per task on the frozen trunk instead of one shared"),
                ParamSpec("reduction_factor", .integer(minimum: 1, maximum: 4096), default: 16, summary: "adapters"),
                ParamSpec("non_linearity", .oneOf(["swish", "relu", "gelu"]), default: "swish", summary: "adapters"),
                ParamSpec("after_attention", .boolean, default: true, summary: "adapters"),
                ParamSpec("after_ffn", .boolean, default: true, summary: "adapters"),
            ]), default: [:], summary: "parameter-efficient fine-tuning"),
        ParamSpec(
            "experts",
            .object([
                ParamSpec("shared", .integer(minimum: 0, maximum: 64), default: 2, summary: "task-common experts"),
                ParamSpec("per_task", .integer(minimum: 0, maximum: 64), default: 1, summary: "experts of each task"),
                ParamSpec("hidden", .integer(minimum: 1, maximum: 65536), default: 256),
                ParamSpec("output", .integer(minimum: 1, maximum: 65536), default: 256),
                ParamSpec("levels", .integer(minimum: 1, maximum: 8), default: 1, summary: "> 1: PLE"),
            ]), summary: "Customized Gate Control (absent: hard sharing)"),
        ParamSpec(
            "domain_adversarial",
            .object([
                ParamSpec("inputs", .array(.string), required: true, summary: "two inputs: domain 0 and domain 1"),
                ParamSpec("schedule", .oneOf(["dann", "constant"]), default: "dann"),
                ParamSpec("coefficient", .number(minimum: 0, maximum: 100), default: 1.0),
            ]), summary: "a DANN domain classifier behind gradient reversal (absent: off)"),
        ParamSpec(
            "train",
            .object([
                ParamSpec("steps", .integer(minimum: 1, maximum: 10_000_000), default: 1000),
                ParamSpec("batch_size", .integer(minimum: 1, maximum: 4096), default: 16),
                ParamSpec("lr", .number(minimum: 0, maximum: 1), default: 5e-5, summary: "trunk, LoRA, adapters"),
                ParamSpec("head_lr", .number(minimum: 0, maximum: 1), default: 1e-3, summary: "heads, experts, gates"),
                ParamSpec("warmup_ratio", .number(minimum: 0, maximum: 1), default: 0.06),
                ParamSpec("schedule", .oneOf(["constant", "linear", "cosine"]), default: "linear"),
                ParamSpec("weight_decay", .number(minimum: 0, maximum: 1), default: 0.01),
                ParamSpec("clip_norm", .number(minimum: 0), default: 1.0, summary: "0: off"),
                ParamSpec("head_dropout", .number(minimum: 0, maximum: 0.99), default: 0.1),
                ParamSpec("freeze_embeddings", .boolean, default: false, summary: "full fine-tuning: keep embeddings"),
                ParamSpec("eval_every", .integer(minimum: 0, maximum: 10_000_000), default: 100, summary: "0: at the end"),
                ParamSpec("eval_rows", .integer(minimum: 1, maximum: 10_000_000), default: 512),
                ParamSpec("patience", .integer(minimum: 0, maximum: 10_000), default: 0, summary: "0: never stop early"),
                ParamSpec("checkpoint_every", .integer(minimum: 0, maximum: 10_000_000), default: 100),
                ParamSpec("keep_checkpoints", .integer(minimum: 1, maximum: 100), default: 2),
                ParamSpec("seed", .integer(minimum: 0), summary: "overrides the pipeline's seed"),
                ParamSpec(
                    "score_test", .boolean, default: false,
                    summary: "also score the best model on each task's whole test split (metrics.json test_scores)"),
            ]), default: [:], summary: "optimisation and selection"),
    ])

    /// Validates `raw` against the schema (defaults filled in) and decodes it; throws every violation, located.
    init(_ raw: JSONValue) throws {
        let (p, violations) = Self.schema.canonicalize(raw == .null ? nil : raw)
        guard violations.isEmpty else {
            throw StageFailure(violations.map(\.description).joined(separator: "; "))
        }
        trunk = p["trunk"]?.stringValue ?? trunk
        pooling = p["pooling"]?.stringValue.flatMap(Pooling.init)
        let taskMap = p["tasks"]?.objectValue ?? [:]
        guard !taskMap.isEmpty else { throw StageFailure("tasks: name at least one task") }
        for name in taskMap.keys.sorted() {
            let t = taskMap[name] ?? [:]
            guard !name.isEmpty, !name.contains("."), !name.contains("/") else {
                throw StageFailure("tasks.\(name): a task name must be non-empty, without '.' or '/'")
            }
            let kind = t["kind"]?.stringValue.flatMap(Kind.init) ?? .classification
            let metric = t["metric"]?.stringValue.flatMap(Metric.init) ?? (kind == .regression ? .pearson : .accuracy)
            guard metric.isRegression == (kind == .regression) else {
                throw StageFailure(
                    "tasks.\(name).metric: '\(metric.rawValue)' does not fit a \(kind.rawValue) task "
                        + (kind == .regression ? "(use pearson or spearman)" : "(use accuracy, macro_f1 or mcc)"))
            }
            tasks.append(
                Task(
                    name: name, input: t["input"]?.stringValue ?? "", kind: kind, metric: metric,
                    weight: Float(t["weight"]?.doubleValue ?? 1)))
        }

        let s = p["sampling"] ?? [:]
        let cap = s["cap"]?.intValue
        switch s["strategy"]?.stringValue ?? "temperature" {
        case "proportional": strategy = .proportional(cap: cap)
        case "uniform": strategy = .uniform
        case "round_robin": strategy = .roundRobin
        case "weights":
            guard let w = s["weights"]?.objectValue else {
                throw StageFailure("sampling.weights: strategy weights needs a weight per task (task → number)")
            }
            for key in w.keys.sorted() where !tasks.contains(where: { $0.name == key }) {
                throw StageFailure("sampling.weights.\(key): no task of that name")
            }
            strategy = .explicit(tasks.map { w[$0.name]?.doubleValue ?? 0 })
        default: strategy = .temperature(s["temperature"]?.doubleValue ?? 2, cap: cap)
        }
        batches = s["batches"]?.stringValue.flatMap(TaskSampler.Batches.init) ?? batches

        weighting = p["loss_weighting"]?.stringValue.flatMap(Weighting.init) ?? weighting
        dwaTemperature = p["dwa"]?["temperature"]?.doubleValue ?? dwaTemperature
        dwaWindow = p["dwa"]?["window"]?.intValue ?? dwaWindow
        gradNormAlpha = p["gradnorm"]?["alpha"]?.doubleValue ?? gradNormAlpha
        gradNormRate = p["gradnorm"]?["lr"]?.doubleValue ?? gradNormRate
        pcgrad = p["pcgrad"]?.boolValue ?? pcgrad
        conflictEvery = p["conflict_monitor"]?["every"]?.intValue ?? 0
        conflictRows = p["conflict_monitor"]?["rows"]?.intValue ?? conflictRows
        if batches == .singleTask {
            if pcgrad {
                throw StageFailure("pcgrad: PCGrad needs several tasks per step (hint: sampling.batches: mixed)")
            }
            if weighting == .gradnorm || weighting == .dwa {
                throw StageFailure(
                    "loss_weighting: \(weighting.rawValue) weighs the tasks of one step against each other "
                        + "(hint: sampling.batches: mixed)")
            }
        }

        let peft = p["peft"] ?? [:]
        method = peft["method"]?.stringValue.flatMap(Method.init) ?? method
        lora = LoRAConfiguration(
            rank: peft["rank"]?.intValue ?? 8, alpha: Float(peft["alpha"]?.doubleValue ?? 16),
            dropout: Float(peft["dropout"]?.doubleValue ?? 0.1),
            targetModules: peft["target_modules"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            rsLoRA: peft["rslora"]?.boolValue ?? false)
        perTask = peft["per_task"]?.boolValue ?? false
        if perTask && method == .none {
            throw StageFailure("peft.per_task: task-specific modules are offered for methods lora and adapters")
        }
        if method == .lora, peft["target_modules"] != nil, lora.targetModules.isEmpty {
            throw StageFailure("peft.target_modules: name at least one projection (\(Self.allProjections.joined(separator: ", ")))")
        }
        adapters = BottleneckAdapterConfiguration(
            name: "default", afterAttention: peft["after_attention"]?.boolValue ?? true,
            afterFeedForward: peft["after_ffn"]?.boolValue ?? true,
            reductionFactor: peft["reduction_factor"]?.intValue ?? 16,
            nonLinearity: peft["non_linearity"]?.stringValue.flatMap(BottleneckAdapter.NonLinearity.init) ?? .swish)
        if method == .adapters, !adapters.afterAttention && !adapters.afterFeedForward {
            throw StageFailure("peft: after_attention and after_ffn are both false: no adapter would be added")
        }

        if let e = p["experts"] {
            let cfg = CustomizedGateControl.Configuration(
                sharedExperts: e["shared"]?.intValue ?? 2, taskExperts: e["per_task"]?.intValue ?? 1,
                expertHidden: e["hidden"]?.intValue ?? 256, expertOutput: e["output"]?.intValue ?? 256,
                levels: e["levels"]?.intValue ?? 1)
            do { try cfg.validate() } catch let error as PEFTError {
                throw StageFailure("experts: \(error.description)")
            }
            experts = cfg
        }
        if let d = p["domain_adversarial"] {
            let inputs = d["inputs"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard inputs.count == 2, inputs[0] != inputs[1] else {
                throw StageFailure("domain_adversarial.inputs: name two different inputs (domain 0, domain 1)")
            }
            let c = Float(d["coefficient"]?.doubleValue ?? 1)
            adversarial = Adversarial(
                inputs: inputs, schedule: d["schedule"]?.stringValue == "constant" ? .constant(c) : .dann(gamma: 10, scale: c))
        }

        let t = p["train"] ?? [:]
        steps = t["steps"]?.intValue ?? steps
        batchSize = t["batch_size"]?.intValue ?? batchSize
        learningRate = Float(t["lr"]?.doubleValue ?? Double(learningRate))
        headLearningRate = Float(t["head_lr"]?.doubleValue ?? Double(headLearningRate))
        warmupRatio = t["warmup_ratio"]?.doubleValue ?? warmupRatio
        schedule = t["schedule"]?.stringValue.flatMap(LearningRateSchedule.Kind.init) ?? schedule
        weightDecay = Float(t["weight_decay"]?.doubleValue ?? Double(weightDecay))
        clipNorm = Float(t["clip_norm"]?.doubleValue ?? Double(clipNorm))
        headDropout = Float(t["head_dropout"]?.doubleValue ?? Double(headDropout))
        freezeEmbeddings = t["freeze_embeddings"]?.boolValue ?? freezeEmbeddings
        evalEvery = t["eval_every"]?.intValue ?? evalEvery
        evalRows = t["eval_rows"]?.intValue ?? evalRows
        patience = t["patience"]?.intValue ?? patience
        checkpointEvery = t["checkpoint_every"]?.intValue ?? checkpointEvery
        keepCheckpoints = t["keep_checkpoints"]?.intValue ?? keepCheckpoints
        seed = t["seed"]?.intValue
        scoreTest = t["score_test"]?.boolValue ?? false
    }
}
