/// The evaluation report of one pipeline run: what `report.json` holds and what the HTML and terminal renderers
/// draw. The JSON keys are snake_case and stable within a `schema_version`; docs/report.md is the reference.
///
/// The model carries results, never computes them: the evaluate stage fills it from `Metrics`, and renderers
/// only format. Every field a renderer shows is text from user data (task, label, corpus and model names) and is
/// escaped by the renderer, not here.
public struct Report: Codable, Hashable, Sendable {
    /// The schema this code reads and writes.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// The pipeline's name.
    public var pipeline: String
    /// The run id, when the report belongs to a run.
    public var run: String?
    /// When the report was made (ISO 8601, set by the producer; renderers print it verbatim so that rendering
    /// stays deterministic).
    public var generatedAt: String?
    /// The evaluated model (usually the stage that produced it, e.g. `finetune`).
    public var model: String
    /// The pipeline's base model, the "before" of the perplexity comparison.
    public var baseModel: String?
    /// A caveat shown prominently at the top (for instance that the numbers are a hand-built test input).
    public var notice: String?
    public var tasks: [TaskReport]
    /// Perplexity of the base model (before) and the evaluated model (after) on domain and general corpora.
    public var perplexity: [PerplexityComparison]
    /// Mean gate weight per task (rows) and expert (columns), for models with experts.
    public var gateWeights: LabeledMatrix?
    /// Cosine similarity of task gradients on the shared parameters, task × task, in [−1, 1].
    public var gradientConflict: LabeledMatrix?

    public init(
        pipeline: String, run: String? = nil, generatedAt: String? = nil, model: String, baseModel: String? = nil,
        notice: String? = nil, tasks: [TaskReport] = [], perplexity: [PerplexityComparison] = [],
        gateWeights: LabeledMatrix? = nil, gradientConflict: LabeledMatrix? = nil
    ) {
        schemaVersion = Self.currentSchemaVersion
        self.pipeline = pipeline
        self.run = run
        self.generatedAt = generatedAt
        self.model = model
        self.baseModel = baseModel
        self.notice = notice
        self.tasks = tasks
        self.perplexity = perplexity
        self.gateWeights = gateWeights
        self.gradientConflict = gradientConflict
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", pipeline, run, generatedAt = "generated_at", model
        case baseModel = "base_model", notice, tasks, perplexity, gateWeights = "gate_weights"
        case gradientConflict = "gradient_conflict"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        pipeline = try c.decode(String.self, forKey: .pipeline)
        run = try c.decodeIfPresent(String.self, forKey: .run)
        generatedAt = try c.decodeIfPresent(String.self, forKey: .generatedAt)
        model = try c.decode(String.self, forKey: .model)
        baseModel = try c.decodeIfPresent(String.self, forKey: .baseModel)
        notice = try c.decodeIfPresent(String.self, forKey: .notice)
        tasks = try c.decodeIfPresent([TaskReport].self, forKey: .tasks) ?? []
        perplexity = try c.decodeIfPresent([PerplexityComparison].self, forKey: .perplexity) ?? []
        gateWeights = try c.decodeIfPresent(LabeledMatrix.self, forKey: .gateWeights)
        gradientConflict = try c.decodeIfPresent(LabeledMatrix.self, forKey: .gradientConflict)
    }
}

/// What kind of output a task has, which decides the metrics that apply.
public enum TaskKind: String, Codable, Hashable, Sendable {
    case classification, regression, tagging
    case languageModeling = "language_modeling"
}

/// One task's results on one split.
public struct TaskReport: Codable, Hashable, Sendable {
    public var name: String
    public var kind: TaskKind
    public var split: String
    /// Rows (examples, sequences or documents) evaluated.
    public var rows: Int
    /// The metric that summarises the task (its name in `metrics`).
    public var headline: String
    /// Metrics in display order.
    public var metrics: [MetricResult]
    /// Per-class precision/recall/F1 (classification) or per-type scores (tagging).
    public var perClass: [ClassRow]
    public var confusion: ConfusionTable?
    public var baselines: [BaselineComparison]
    /// Training and validation curves from the training stages' metric events.
    public var curves: [Curve]
    /// Reliability bins behind the expected calibration error (classification).
    public var calibration: CalibrationSummary?

    public init(
        name: String, kind: TaskKind, split: String, rows: Int, headline: String, metrics: [MetricResult],
        perClass: [ClassRow] = [], confusion: ConfusionTable? = nil, baselines: [BaselineComparison] = [],
        curves: [Curve] = [], calibration: CalibrationSummary? = nil
    ) {
        self.name = name
        self.kind = kind
        self.split = split
        self.rows = rows
        self.headline = headline
        self.metrics = metrics
        self.perClass = perClass
        self.confusion = confusion
        self.baselines = baselines
        self.curves = curves
        self.calibration = calibration
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, split, rows, headline, metrics, perClass = "per_class", confusion, baselines, curves
        case calibration
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(TaskKind.self, forKey: .kind)
        split = try c.decode(String.self, forKey: .split)
        rows = try c.decode(Int.self, forKey: .rows)
        headline = try c.decode(String.self, forKey: .headline)
        metrics = try c.decode([MetricResult].self, forKey: .metrics)
        perClass = try c.decodeIfPresent([ClassRow].self, forKey: .perClass) ?? []
        confusion = try c.decodeIfPresent(ConfusionTable.self, forKey: .confusion)
        baselines = try c.decodeIfPresent([BaselineComparison].self, forKey: .baselines) ?? []
        curves = try c.decodeIfPresent([Curve].self, forKey: .curves) ?? []
        calibration = try c.decodeIfPresent(CalibrationSummary.self, forKey: .calibration)
    }

    /// The headline metric's result, if `headline` names one of `metrics`.
    public var headlineResult: MetricResult? { metrics.first { $0.name == headline } }
}
