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

    static let schema = ParamSchema([
        ParamSpec(
            "corpus", .string, required: true,
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
    ])

    init(_ p: JSONValue) throws {
        corpus = p["corpus"]?.stringValue ?? ""
        if corpus.isEmpty { throw StageFailure("corpus: name the packed domain corpus input (e.g. 'corpus: legal')") }
        general = p["general"]?.stringValue
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
    }
}
