import StageKit

/// The evaluate stage's parameters, read from the validated `with:` mapping (types, ranges and defaults come from
/// the schema; what a schema cannot say is checked here). docs/evaluate.md is the reference.
struct EvaluateOptions: Sendable {
    var corpus = ""
    var general: String?
    /// The upstream stage whose model is evaluated; empty: the only upstream stage with a model.
    var model = ""
    /// The held-out split; `auto`: validation, else test.
    var split = "auto"
    var rows = 256
    var batchSize = 16
    var maskProbability: Float = 0.15
    var wholeWord = false
    var resamples = 1000
    var confidence = 0.95
    /// The upstream stage (or `base`) whose multitask artifact is evaluated; empty: the only upstream stage with
    /// `multitask.json`, if any.
    var multitask = ""
    /// Task → tokenize input, where they differ (default: the input named like the task).
    var taskInputs: [String: String] = [:]
    /// The splits the tasks are scored on.
    var splits = ["test"]
    /// Other multitask artifacts (upstream stages, or `base`) compared with the evaluated one on the same rows.
    var baselines: [String] = []

    static let schema = ParamSchema([
        ParamSpec(
            "corpus", .string,
            summary:
                "the domain corpus: a packed data input of an upstream tokenize stage (its held-out split is scored)"),
        ParamSpec(
            "general", .string,
            summary: "a general-English packed corpus: the evaluated model against the base model shows forgetting"),
        ParamSpec(
            "model", .string, default: "",
            summary: "the upstream stage whose model is evaluated (default: the only upstream stage with a model)"),
        ParamSpec(
            "split", .string, default: "auto", summary: "the split scored on both corpora (auto: validation, else test)"
        ),
        ParamSpec(
            "rows", .integer(minimum: 1, maximum: 1_000_000), default: 256,
            summary: "rows (packed blocks) scored per corpus: the first N of the split"),
        ParamSpec("batch_size", .integer(minimum: 1, maximum: 4096), default: 16, summary: "rows per forward pass"),
        ParamSpec(
            "mask_probability", .number(minimum: 0.01, maximum: 0.9), default: 0.15,
            summary: "MLM: share of tokens masked (fixed, seeded masks: every model sees the same positions)"),
        ParamSpec("whole_word", .boolean, default: false, summary: "MLM: mask whole words"),
        ParamSpec(
            "resamples", .integer(minimum: 1, maximum: 100_000), default: 1000,
            summary: "bootstrap resamples (over rows) of the intervals and the paired test"),
        ParamSpec(
            "confidence", .number(minimum: 0.5, maximum: 0.999), default: 0.95, summary: "coverage of the intervals"),
        ParamSpec(
            "multitask", .string, default: "",
            summary:
                "the upstream stage (or base) whose multitask artifact is evaluated (default: the only upstream stage with multitask.json)"
        ),
        ParamSpec(
            "tasks", .map(.string),
            summary: "task -> tokenize input holding its labelled rows, where they differ (default: the input named like the task)"),
        ParamSpec(
            "splits", .array(.string), default: ["test"], summary: "the splits every task is scored on"),
        ParamSpec(
            "baselines", .array(.string), default: [],
            summary: "other multitask artifacts (upstream stages, or base) compared on the same rows: deltas, paired tests"),
    ])

    init(_ p: JSONValue) throws {
        corpus = p["corpus"]?.stringValue ?? ""
        general = p["general"]?.stringValue
        if corpus.isEmpty, general != nil { throw StageFailure("general: needs 'corpus:' (the domain corpus) too") }
        if general == corpus { throw StageFailure("general: '\(corpus)' is the domain corpus itself") }
        model = p["model"]?.stringValue ?? model
        split = p["split"]?.stringValue ?? split
        if split.isEmpty { throw StageFailure("split: name a split (validation, test) or auto") }
        rows = p["rows"]?.intValue ?? rows
        batchSize = p["batch_size"]?.intValue ?? batchSize
        maskProbability = Float(p["mask_probability"]?.doubleValue ?? Double(maskProbability))
        wholeWord = p["whole_word"]?.boolValue ?? wholeWord
        resamples = p["resamples"]?.intValue ?? resamples
        confidence = p["confidence"]?.doubleValue ?? confidence
        if !(confidence > 0 && confidence < 1) { throw StageFailure("confidence: \(confidence) is not in (0, 1)") }
        multitask = p["multitask"]?.stringValue ?? multitask
        if case .object(let map)? = p["tasks"] {
            for (task, input) in map {
                guard let name = input.stringValue, !name.isEmpty else {
                    throw StageFailure("tasks.\(task): expected the name of a tokenize input")
                }
                taskInputs[task] = name
            }
        }
        if case .array(let items)? = p["splits"] { splits = items.compactMap(\.stringValue) }
        if splits.isEmpty || splits.contains(where: \.isEmpty) || Set(splits).count != splits.count {
            throw StageFailure("splits: name one or more distinct splits (e.g. [test])")
        }
        if case .array(let items)? = p["baselines"] { baselines = items.compactMap(\.stringValue) }
        if Set(baselines).count != baselines.count || baselines.contains(where: \.isEmpty) {
            throw StageFailure("baselines: name distinct upstream stages (or base)")
        }
        if !multitask.isEmpty, baselines.contains(multitask) {
            throw StageFailure("baselines: '\(multitask)' is the evaluated model itself")
        }
    }
}
