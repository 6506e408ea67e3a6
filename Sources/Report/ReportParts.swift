/// A confidence interval as the bootstrap reports it.
public struct Interval: Codable, Hashable, Sendable {
    public var lower: Double
    public var upper: Double
    /// Coverage, e.g. 0.95.
    public var confidence: Double
    /// Bootstrap resamples (B) behind the interval.
    public var resamples: Int

    public init(lower: Double, upper: Double, confidence: Double = 0.95, resamples: Int) {
        self.lower = lower
        self.upper = upper
        self.confidence = confidence
        self.resamples = resamples
    }
}

/// One metric's value on the evaluated model, with its interval when one was computed.
public struct MetricResult: Codable, Hashable, Sendable {
    /// Metric key, e.g. `accuracy`, `macro_f1`, `mcc`, `ece`, `pearson`, `entity_f1`, `perplexity`.
    public var name: String
    public var value: Double
    public var interval: Interval?

    public init(name: String, value: Double, interval: Interval? = nil) {
        self.name = name
        self.value = value
        self.interval = interval
    }
}

/// Scores of one class (or entity type).
public struct ClassRow: Codable, Hashable, Sendable {
    public var label: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int

    public init(label: String, precision: Double, recall: Double, f1: Double, support: Int) {
        self.label = label
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// A confusion matrix with its class names: `counts[gold][predicted]`.
public struct ConfusionTable: Codable, Hashable, Sendable {
    public var labels: [String]
    public var counts: [[Int]]

    public init(labels: [String], counts: [[Int]]) {
        self.labels = labels
        self.counts = counts
    }
}

/// The evaluated model against one baseline on one metric, on the same rows.
public struct BaselineComparison: Codable, Hashable, Sendable {
    /// The baseline's name (a stage of the pipeline, or `base`).
    public var baseline: String
    public var metric: String
    /// The baseline's value of `metric`.
    public var value: Double
    /// The baseline's own interval.
    public var interval: Interval?
    /// Evaluated model − baseline.
    public var delta: Double
    /// Paired bootstrap interval of the delta.
    public var deltaInterval: Interval?
    /// Two-sided paired bootstrap p-value of the delta (definition: `Metrics.Bootstrap.compare`).
    public var pValue: Double?

    public init(
        baseline: String, metric: String, value: Double, interval: Interval? = nil, delta: Double,
        deltaInterval: Interval? = nil, pValue: Double? = nil
    ) {
        self.baseline = baseline
        self.metric = metric
        self.value = value
        self.interval = interval
        self.delta = delta
        self.deltaInterval = deltaInterval
        self.pValue = pValue
    }

    enum CodingKeys: String, CodingKey {
        case baseline, metric, value, interval, delta, deltaInterval = "delta_interval", pValue = "p_value"
    }
}

/// A series of (step, value) points, e.g. the training loss or the validation accuracy of a task.
public struct Curve: Codable, Hashable, Sendable {
    /// `train` or `validation` (free text; renderers draw validation dashed).
    public var split: String
    public var metric: String
    public var points: [Point]

    public init(split: String, metric: String, points: [Point]) {
        self.split = split
        self.metric = metric
        self.points = points
    }

    /// Encoded as the two-element array `[step, value]` to keep long curves compact.
    public struct Point: Codable, Hashable, Sendable {
        public var step: Int
        public var value: Double

        public init(step: Int, value: Double) {
            self.step = step
            self.value = value
        }

        public init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            step = try c.decode(Int.self)
            value = try c.decode(Double.self)
            if !c.isAtEnd {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "a point is [step, value]")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(step)
            try c.encode(value)
        }
    }
}

/// Perplexity on one corpus before (base model) and after (evaluated model).
public struct PerplexityComparison: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable { case domain, general }

    public var corpus: String
    public var kind: Kind
    /// Tokens scored.
    public var tokens: Int
    public var before: Double
    public var after: Double

    public init(corpus: String, kind: Kind, tokens: Int, before: Double, after: Double) {
        self.corpus = corpus
        self.kind = kind
        self.tokens = tokens
        self.before = before
        self.after = after
    }
}

/// A matrix of numbers with row and column names (gate weights, gradient cosines).
public struct LabeledMatrix: Codable, Hashable, Sendable {
    public var rows: [String]
    public var columns: [String]
    /// `values[row][column]`.
    public var values: [[Double]]

    public init(rows: [String], columns: [String], values: [[Double]]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }
}

/// The reliability bins of a classification task: per confidence bin, how often the arg-max was right.
public struct CalibrationSummary: Codable, Hashable, Sendable {
    public struct Bin: Codable, Hashable, Sendable {
        /// Confidence range (lower, upper] of the bin.
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Fraction of correct predictions in the bin (0 when empty).
        public var accuracy: Double
        /// Mean confidence in the bin (0 when empty).
        public var confidence: Double

        public init(lower: Double, upper: Double, count: Int, accuracy: Double, confidence: Double) {
            self.lower = lower
            self.upper = upper
            self.count = count
            self.accuracy = accuracy
            self.confidence = confidence
        }
    }

    public var ece: Double
    public var bins: [Bin]

    public init(ece: Double, bins: [Bin]) {
        self.ece = ece
        self.bins = bins
    }
}
