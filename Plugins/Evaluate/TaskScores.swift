import Metrics
import NN
import Report
import Training

/// One task's gold labels on the scored rows and the metrics computed from a model's predictions on them, as
/// report parts: every metric with its bootstrap interval over rows, and, per baseline, the paired bootstrap test
/// of each metric's difference on the same resampled rows (docs/metrics.md).
struct TaskScores {
    let kind: TaskHead.Kind
    /// Classes (classification kinds).
    let classCount: Int
    /// The class names, one per class.
    let labels: [String]
    /// Gold class per scored row (classification kinds).
    let gold: [Int]
    /// Gold value per scored row (regression).
    let targets: [Double]

    static let classificationMetrics = ["accuracy", "macro_f1", "micro_f1", "weighted_f1", "mcc", "ece"]
    static let regressionMetrics = ["pearson", "spearman", "mae", "mse"]

    var rowCount: Int { kind == .regression ? targets.count : gold.count }
    var metricNames: [String] { kind == .regression ? Self.regressionMetrics : Self.classificationMetrics }
    /// The headline when the training stage named none (or one this stage does not compute).
    var defaultHeadline: String { kind == .regression ? "pearson" : "macro_f1" }

    /// Metric `name` of predictions `p` on the rows `idx` (indices into the scored rows, with repetition).
    func statistic(_ name: String, _ p: [TaskPrediction]) -> ([Int]) throws -> Double {
        switch name {
        case "pearson": return { idx in try Correlation.pearson(idx.map { targets[$0] }, idx.map { p[$0].value }) }
        case "spearman": return { idx in try Correlation.spearman(idx.map { targets[$0] }, idx.map { p[$0].value }) }
        case "mae":
            return { idx in
                try RegressionErrors.meanAbsoluteError(
                    gold: idx.map { targets[$0] }, predicted: idx.map { p[$0].value })
            }
        case "mse":
            return { idx in
                try RegressionErrors.meanSquaredError(gold: idx.map { targets[$0] }, predicted: idx.map { p[$0].value })
            }
        case "ece":
            return { idx in
                try Calibration(
                    gold: idx.map { gold[$0] }, probabilities: idx.map { p[$0].probabilities }, classCount: classCount
                ).ece
            }
        default:
            return { idx in
                let s = try ClassificationScores(
                    gold: idx.map { gold[$0] }, predicted: idx.map { p[$0].predicted }, classCount: classCount)
                switch name {
                case "accuracy": return s.accuracy
                case "macro_f1": return s.macroF1
                case "micro_f1": return s.microF1
                case "weighted_f1": return s.weightedF1
                default: return s.mcc
                }
            }
        }
    }

    /// The task's report entry for predictions `p` (one per scored row) and each baseline's predictions on the same
    /// rows; `notes` says which metrics are undefined on these rows (a constant prediction has no correlation) and
    /// were left out.
    func report(
        name: String, split: String, headline wanted: String?, predictions p: [TaskPrediction],
        baselines: [(name: String, predictions: [TaskPrediction])], bootstrap: Bootstrap, curves: [Curve]
    ) throws -> (task: TaskReport, notes: [String]) {
        let n = rowCount
        let all = Array(0..<n)
        var metrics: [MetricResult] = []
        var notes: [String] = []
        for metric in metricNames {
            let f = statistic(metric, p)
            if let b = try? bootstrap.interval(rowCount: n, statistic: f) {
                metrics.append(MetricResult(name: metric, bootstrap: b))
            } else if let value = try? f(all), value.isFinite {
                metrics.append(MetricResult(name: metric, value: value))
                notes.append("\(name): \(metric) has no interval (undefined on some resamples)")
            } else {
                notes.append("\(name): \(metric) is undefined on these rows (e.g. constant predictions); left out")
            }
        }
        let computed = Set(metrics.map(\.name))
        let headline =
            wanted.flatMap { computed.contains($0) ? $0 : nil }
            ?? (computed.contains(defaultHeadline) ? defaultHeadline : metrics.first?.name)
        guard let headline else { throw MetricsError(.empty, "\(name): no metric is defined on the \(n) rows") }

        var comparisons: [BaselineComparison] = []
        for (baseline, q) in baselines {
            for metric in metricNames where computed.contains(metric) {
                guard
                    let test = try? bootstrap.compare(
                        rowCount: n, system: statistic(metric, p), baseline: statistic(metric, q))
                else {
                    notes.append(
                        "\(name): \(metric) of baseline '\(baseline)' is undefined on some resamples; not compared")
                    continue
                }
                let own = try? bootstrap.interval(rowCount: n, statistic: statistic(metric, q))
                comparisons.append(
                    BaselineComparison(baseline: baseline, metric: metric, test: test, baselineInterval: own))
            }
        }
        var task = TaskReport(
            name: name, kind: kind == .regression ? .regression : .classification, split: split, rows: n,
            headline: headline, metrics: metrics, baselines: comparisons, curves: curves)
        if kind != .regression {
            let predicted = p.map(\.predicted)
            task.confusion = try ConfusionTable(
                labels: labels, matrix: ConfusionMatrix(gold: gold, predicted: predicted, classCount: classCount))
            task.perClass = try ClassRow.rows(
                labels: labels, scores: ClassificationScores(gold: gold, predicted: predicted, classCount: classCount))
            task.calibration = CalibrationSummary(
                try Calibration(gold: gold, probabilities: p.map(\.probabilities), classCount: classCount))
        }
        return (task, notes)
    }
}
