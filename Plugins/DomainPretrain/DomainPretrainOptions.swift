import NN
import StageKit
import Training

/// The stage's parameters, read from the validated `with:` mapping (types, ranges and defaults come from the
/// schema in ``DomainPretrainPlugin/description``; what a schema cannot say is checked here).
struct DomainPretrainOptions: Sendable {
    enum Objective: String, Sendable { case auto, mlm, clm }
    enum Trainable: String, Sendable {
        case all
        case lastLayers = "last_layers"
        case frozenEmbeddings = "frozen_embeddings"
    }

    var corpus = ""
    var general: String?
    var objective = Objective.auto
    var steps = 200
    var batchSize = 16
    var accumulate = 1
    var learningRate: Float = 5e-5
    var headLearningRate: Float = 1e-3
    var headWarmupSteps = 100
    var schedule = LearningRateSchedule.Kind.linear
    var warmupRatio = 0.06
    var weightDecay: Float = 0.01
    var clipNorm: Float = 1
    var maskProbability: Float = 0.15
    var wholeWord = false
    var trainable = Trainable.all
    var lastLayers = 2
    var evalEvery = 50
    var evalRows = 256
    var checkpointEvery = 50
    var keepCheckpoints = 2
    var patience = 0
    /// LoRA on the decoder's projections instead of full fine-tuning (`lora:`); nil: the `train:` choice.
    var lora: LoRAConfiguration?

    static let schema = ParamSchema([
        ParamSpec(
            "corpus", .string, required: true,
            summary: "the packed corpus: a data input of an upstream tokenize stage (its train split trains, "
                + "its validation split measures held-out perplexity)"),
        ParamSpec(
            "general", .string,
            summary: "a second packed corpus (general English) whose held-out perplexity is measured before and after: "
                + "the forgetting cost"),
        ParamSpec(
            "objective", .oneOf(["auto", "mlm", "clm"]), default: "auto",
            summary: "auto: masked LM for an encoder (bert), causal LM for a decoder (gpt2)"),
        ParamSpec("steps", .integer(minimum: 1, maximum: 10_000_000), default: 200, summary: "optimizer steps after the head warm-up"),
        ParamSpec("batch_size", .integer(minimum: 1, maximum: 4096), default: 16, summary: "rows per micro-batch"),
        ParamSpec(
            "accumulate", .integer(minimum: 1, maximum: 1024), default: 1,
            summary: "micro-batches per optimizer step (gradient accumulation)"),
        ParamSpec("lr", .number(minimum: 0, maximum: 1), default: 5e-5, summary: "peak learning rate"),
        ParamSpec(
            "head_lr", .number(minimum: 0, maximum: 1), default: 1e-3,
            summary: "learning rate of a created MLM head during its warm-up"),
        ParamSpec(
            "head_warmup_steps", .integer(minimum: 0, maximum: 1_000_000), default: 100,
            summary: "steps that train only a created MLM head (trunk frozen) before the 'before' perplexity"),
        ParamSpec("schedule", .oneOf(["constant", "linear", "cosine"]), default: "linear", summary: "learning-rate decay"),
        ParamSpec("warmup_ratio", .number(minimum: 0, maximum: 1), default: 0.06, summary: "share of steps of linear warm-up"),
        ParamSpec("weight_decay", .number(minimum: 0, maximum: 1), default: 0.01, summary: "AdamW decay (not for biases, LayerNorm)"),
        ParamSpec("clip_norm", .number(minimum: 0), default: 1.0, summary: "global gradient-norm clip (0: off)"),
        ParamSpec("mask_probability", .number(minimum: 0.01, maximum: 0.9), default: 0.15, summary: "MLM: share of tokens selected"),
        ParamSpec("whole_word", .boolean, default: false, summary: "MLM: select whole words (WordPiece ## pieces together)"),
        ParamSpec(
            "train", .oneOf(["all", "last_layers", "frozen_embeddings"]), default: "all",
            summary: "what trains: every weight, the last N layers (and the head), or all but the embeddings"),
        ParamSpec("last_layers", .integer(minimum: 1, maximum: 1000), default: 2, summary: "N for train: last_layers"),
        ParamSpec("eval_every", .integer(minimum: 0, maximum: 10_000_000), default: 50, summary: "held-out perplexity every N steps (0: at the end only)"),
        ParamSpec("eval_rows", .integer(minimum: 1, maximum: 1_000_000), default: 256, summary: "held-out rows evaluated (the first N of the split)"),
        ParamSpec("checkpoint_every", .integer(minimum: 0, maximum: 10_000_000), default: 50, summary: "checkpoint every N steps (0: only when stopped)"),
        ParamSpec("keep_checkpoints", .integer(minimum: 1, maximum: 100), default: 2, summary: "checkpoints kept"),
        ParamSpec(
            "patience", .integer(minimum: 0, maximum: 10_000), default: 0,
            summary: "stop when held-out perplexity has not improved for N evaluations (0: never)"),
        ParamSpec(
            "lora",
            .object([
                ParamSpec("rank", .integer(minimum: 1, maximum: 4096), default: 8, summary: "LoRA rank r"),
                ParamSpec("alpha", .number(minimum: 0), default: 16, summary: "scale alpha (update · alpha / r)"),
                ParamSpec("dropout", .number(minimum: 0, maximum: 0.9), default: 0, summary: "dropout on the LoRA input"),
                ParamSpec(
                    "target_modules", .array(.string), required: true,
                    summary: "projections wrapped, as PEFT names them (Llama: q_proj, k_proj, v_proj, o_proj, "
                        + "gate_proj, up_proj, down_proj)"),
            ]),
            summary: "train LoRA adapters on these projections (everything else frozen) instead of the weights; "
                + "merged into the exported model, and also written as a PEFT adapter (adapter/)"),
    ])

    init(_ p: JSONValue) throws {
        corpus = p["corpus"]?.stringValue ?? ""
        if corpus.isEmpty { throw StageFailure("corpus: name the packed corpus input (e.g. 'corpus: legal')") }
        general = p["general"]?.stringValue
        if general == corpus { throw StageFailure("general: '\(corpus)' is the training corpus itself") }
        objective = p["objective"]?.stringValue.flatMap(Objective.init) ?? objective
        steps = p["steps"]?.intValue ?? steps
        batchSize = p["batch_size"]?.intValue ?? batchSize
        accumulate = p["accumulate"]?.intValue ?? accumulate
        learningRate = Float(p["lr"]?.doubleValue ?? Double(learningRate))
        headLearningRate = Float(p["head_lr"]?.doubleValue ?? Double(headLearningRate))
        headWarmupSteps = p["head_warmup_steps"]?.intValue ?? headWarmupSteps
        schedule = p["schedule"]?.stringValue.flatMap(LearningRateSchedule.Kind.init) ?? schedule
        warmupRatio = p["warmup_ratio"]?.doubleValue ?? warmupRatio
        weightDecay = Float(p["weight_decay"]?.doubleValue ?? Double(weightDecay))
        clipNorm = Float(p["clip_norm"]?.doubleValue ?? Double(clipNorm))
        maskProbability = Float(p["mask_probability"]?.doubleValue ?? Double(maskProbability))
        wholeWord = p["whole_word"]?.boolValue ?? wholeWord
        trainable = p["train"]?.stringValue.flatMap(Trainable.init) ?? trainable
        lastLayers = p["last_layers"]?.intValue ?? lastLayers
        evalEvery = p["eval_every"]?.intValue ?? evalEvery
        evalRows = p["eval_rows"]?.intValue ?? evalRows
        checkpointEvery = p["checkpoint_every"]?.intValue ?? checkpointEvery
        keepCheckpoints = p["keep_checkpoints"]?.intValue ?? keepCheckpoints
        patience = p["patience"]?.intValue ?? patience
        if let l = p["lora"]?.objectValue {
            let targets = l["target_modules"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let config = LoRAConfiguration(
                rank: l["rank"]?.intValue ?? 8, alpha: Float(l["alpha"]?.doubleValue ?? 16),
                dropout: Float(l["dropout"]?.doubleValue ?? 0), targetModules: targets)
            do { try config.validate() } catch { throw StageFailure("lora: \(error)") }
            if trainable != .all {
                throw StageFailure("lora: with LoRA only the adapters train; remove 'train: \(trainable.rawValue)'")
            }
            lora = config
        }
    }
}
