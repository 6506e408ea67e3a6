import Metrics

// Bridges from what `Metrics` computes to the report's parts, so the evaluate stage fills a report without
// re-stating field by field what an interval or a paired test is.

extension Interval {
    public init(_ b: BootstrapInterval) {
        self.init(lower: b.lower, upper: b.upper, confidence: b.confidence, resamples: b.resamples)
    }
}

extension MetricResult {
    /// A metric with its bootstrap interval; the value is the interval's point estimate.
    public init(name: String, bootstrap b: BootstrapInterval) {
        self.init(name: name, value: b.estimate, interval: Interval(b))
    }
}

extension BaselineComparison {
    /// A comparison from a paired bootstrap test (and, optionally, the baseline's own interval).
    public init(
        baseline: String, metric: String, test t: PairedBootstrapTest, baselineInterval: BootstrapInterval? = nil
    ) {
        self.init(
            baseline: baseline, metric: metric, value: t.baseline, interval: baselineInterval.map(Interval.init),
            delta: t.delta,
            deltaInterval: Interval(lower: t.lower, upper: t.upper, confidence: t.confidence, resamples: t.resamples),
            pValue: t.pValue)
    }
}

extension ConfusionTable {
    /// Throws `ReportError` unless there is one label per class.
    public init(labels: [String], matrix: ConfusionMatrix) throws {
        guard labels.count == matrix.classCount else {
            throw ReportError(
                path: "confusion.labels", message: "\(labels.count) labels for \(matrix.classCount) classes")
        }
        self.init(labels: labels, counts: matrix.rows)
    }
}

extension ClassRow {
    /// One row per class of `scores`, named by `labels` (which must have one name per class).
    public static func rows(labels: [String], scores: ClassificationScores) throws -> [ClassRow] {
        guard labels.count == scores.perClass.count else {
            throw ReportError(path: "per_class", message: "\(labels.count) labels for \(scores.perClass.count) classes")
        }
        return zip(labels, scores.perClass).map {
            ClassRow(label: $0, precision: $1.precision, recall: $1.recall, f1: $1.f1, support: $1.support)
        }
    }

    /// One row per entity type of `scores`.
    public static func rows(_ scores: EntityScores) -> [ClassRow] {
        scores.perType.map {
            ClassRow(label: $0.type, precision: $0.precision, recall: $0.recall, f1: $0.f1, support: $0.support)
        }
    }
}

extension CalibrationSummary {
    public init(_ c: Calibration) {
        self.init(
            ece: c.ece,
            bins: c.bins.map {
                Bin(lower: $0.lower, upper: $0.upper, count: $0.count, accuracy: $0.accuracy, confidence: $0.confidence)
            })
    }
}
