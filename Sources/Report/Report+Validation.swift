extension Report {
    /// Bounds that keep a report (and its rendering) small enough to open; a producer beyond them has a bug.
    public enum Limits {
        public static let tasks = 256
        public static let metricsPerTask = 64
        public static let classes = 4096
        public static let baselinesPerTask = 256
        public static let curvesPerTask = 64
        public static let pointsPerCurve = 1_000_000
        public static let perplexityRows = 256
        public static let matrixSide = 1024
        public static let nameLength = 512
    }

    /// Every problem found, each with the JSON path of its value (empty when the report is consistent).
    ///
    /// Checks: the schema version; names non-empty and at most `Limits.nameLength` characters; counts within
    /// `Limits`; every number finite; counts, rows, supports and tokens non-negative; intervals ordered with a
    /// confidence in (0, 1); the headline one of the task's metrics; confusion matrices square over their labels;
    /// matrices rectangular over their row and column names; gradient cosines within [−1, 1].
    public func problems() -> [ReportError] {
        var v = Validator()
        if schemaVersion != Self.currentSchemaVersion {
            v.fail("schema_version", "schema version \(schemaVersion) is not \(Self.currentSchemaVersion)")
        }
        v.name(pipeline, "pipeline")
        v.name(model, "model")
        if let baseModel { v.name(baseModel, "base_model") }
        if let run { v.name(run, "run") }
        if let notice, notice.count > 4 * Limits.nameLength {
            v.fail("notice", "longer than \(4 * Limits.nameLength) characters")
        }
        v.count(tasks.count, Limits.tasks, "tasks")
        var seen = Set<String>()
        for (i, t) in tasks.prefix(Limits.tasks).enumerated() {
            let p = "tasks[\(i)]"
            v.name(t.name, "\(p).name")
            if !seen.insert(t.name).inserted {
                v.fail("\(p).name", "duplicate task name \(String(reflecting: t.name))")
            }
            v.name(t.split, "\(p).split")
            v.nonNegative(t.rows, "\(p).rows")
            v.count(t.metrics.count, Limits.metricsPerTask, "\(p).metrics")
            for (j, m) in t.metrics.prefix(Limits.metricsPerTask).enumerated() {
                v.name(m.name, "\(p).metrics[\(j)].name")
                v.finite(m.value, "\(p).metrics[\(j)].value")
                v.interval(m.interval, "\(p).metrics[\(j)].interval")
            }
            if t.headlineResult == nil {
                v.fail("\(p).headline", "\(String(reflecting: t.headline)) is not one of the task's metrics")
            }
            v.count(t.perClass.count, Limits.classes, "\(p).per_class")
            for (j, c) in t.perClass.prefix(Limits.classes).enumerated() {
                let q = "\(p).per_class[\(j)]"
                v.name(c.label, "\(q).label")
                v.finite(c.precision, "\(q).precision")
                v.finite(c.recall, "\(q).recall")
                v.finite(c.f1, "\(q).f1")
                v.nonNegative(c.support, "\(q).support")
            }
            if let m = t.confusion { v.confusion(m, "\(p).confusion") }
            v.count(t.baselines.count, Limits.baselinesPerTask, "\(p).baselines")
            for (j, b) in t.baselines.prefix(Limits.baselinesPerTask).enumerated() {
                let q = "\(p).baselines[\(j)]"
                v.name(b.baseline, "\(q).baseline")
                v.name(b.metric, "\(q).metric")
                v.finite(b.value, "\(q).value")
                v.finite(b.delta, "\(q).delta")
                v.interval(b.interval, "\(q).interval")
                v.interval(b.deltaInterval, "\(q).delta_interval")
                if let pv = b.pValue, !(pv >= 0 && pv <= 1) { v.fail("\(q).p_value", "p-value \(pv) is not in [0, 1]") }
            }
            if let cal = t.calibration { v.calibration(cal, "\(p).calibration") }
            v.count(t.curves.count, Limits.curvesPerTask, "\(p).curves")
            for (j, c) in t.curves.prefix(Limits.curvesPerTask).enumerated() {
                let q = "\(p).curves[\(j)]"
                v.name(c.split, "\(q).split")
                v.name(c.metric, "\(q).metric")
                v.count(c.points.count, Limits.pointsPerCurve, "\(q).points")
                if let k = c.points.firstIndex(where: { !$0.value.isFinite }) {
                    v.fail("\(q).points[\(k)]", "value is not finite")
                }
            }
        }
        v.count(perplexity.count, Limits.perplexityRows, "perplexity")
        for (i, r) in perplexity.prefix(Limits.perplexityRows).enumerated() {
            let p = "perplexity[\(i)]"
            v.name(r.corpus, "\(p).corpus")
            v.nonNegative(r.tokens, "\(p).tokens")
            for (key, x) in [("before", r.before), ("after", r.after)] where !(x.isFinite && x >= 1) {
                v.fail("\(p).\(key)", "perplexity \(x) is not a finite number ≥ 1")
            }
        }
        if let m = gateWeights { v.matrix(m, "gate_weights", range: nil) }
        if let m = gradientConflict {
            v.matrix(m, "gradient_conflict", range: -1...1)
            if m.rows != m.columns {
                v.fail("gradient_conflict.columns", "a task × task matrix names the same tasks on both axes")
            }
        }
        return v.problems
    }

    /// Throws the first problem `problems()` finds (all of them are in its message when there are several).
    public func validate() throws {
        let all = problems()
        guard let first = all.first else { return }
        if all.count == 1 { throw first }
        var e = first
        e.message +=
            " (and \(all.count - 1) more: " + all.dropFirst().prefix(5).map(\.description).joined(separator: "; ")
            + (all.count > 6 ? "; …" : "") + ")"
        throw e
    }
}

/// Collects problems with their paths.
struct Validator {
    var problems: [ReportError] = []

    mutating func fail(_ path: String, _ message: String) { problems.append(ReportError(path: path, message: message)) }

    mutating func name(_ s: String, _ path: String) {
        if s.isEmpty { fail(path, "must not be empty") }
        if s.count > Report.Limits.nameLength { fail(path, "longer than \(Report.Limits.nameLength) characters") }
    }

    mutating func count(_ n: Int, _ limit: Int, _ path: String) {
        if n > limit { fail(path, "\(n) entries, more than the limit of \(limit)") }
    }

    mutating func finite(_ x: Double, _ path: String) {
        if !x.isFinite { fail(path, "\(x) is not a finite number") }
    }

    mutating func nonNegative(_ n: Int, _ path: String) {
        if n < 0 { fail(path, "\(n) is negative") }
    }

    mutating func interval(_ i: Interval?, _ path: String) {
        guard let i else { return }
        finite(i.lower, "\(path).lower")
        finite(i.upper, "\(path).upper")
        if i.lower > i.upper { fail(path, "lower \(i.lower) is above upper \(i.upper)") }
        if !(i.confidence > 0 && i.confidence < 1) { fail("\(path).confidence", "\(i.confidence) is not in (0, 1)") }
        if i.resamples < 1 { fail("\(path).resamples", "\(i.resamples) is not positive") }
    }

    mutating func calibration(_ c: CalibrationSummary, _ path: String) {
        if !(c.ece.isFinite && c.ece >= 0 && c.ece <= 1) { fail("\(path).ece", "\(c.ece) is not in [0, 1]") }
        count(c.bins.count, 10_000, "\(path).bins")
        for (i, b) in c.bins.prefix(10_000).enumerated() {
            let q = "\(path).bins[\(i)]"
            for (key, x) in [
                ("lower", b.lower), ("upper", b.upper), ("accuracy", b.accuracy), ("confidence", b.confidence),
            ]
            where !(x.isFinite && x >= 0 && x <= 1) {
                fail("\(q).\(key)", "\(x) is not in [0, 1]")
            }
            if b.lower >= b.upper { fail(q, "lower \(b.lower) is not below upper \(b.upper)") }
            nonNegative(b.count, "\(q).count")
        }
    }

    mutating func confusion(_ m: ConfusionTable, _ path: String) {
        count(m.labels.count, Report.Limits.classes, "\(path).labels")
        for (i, l) in m.labels.prefix(Report.Limits.classes).enumerated() { name(l, "\(path).labels[\(i)]") }
        if m.counts.count != m.labels.count {
            fail("\(path).counts", "\(m.counts.count) rows for \(m.labels.count) labels")
        }
        for (i, row) in m.counts.prefix(Report.Limits.classes).enumerated() {
            if row.count != m.labels.count {
                fail("\(path).counts[\(i)]", "\(row.count) counts for \(m.labels.count) labels")
            }
            if let j = row.firstIndex(where: { $0 < 0 }) { fail("\(path).counts[\(i)][\(j)]", "\(row[j]) is negative") }
        }
    }

    mutating func matrix(_ m: LabeledMatrix, _ path: String, range: ClosedRange<Double>?) {
        count(m.rows.count, Report.Limits.matrixSide, "\(path).rows")
        count(m.columns.count, Report.Limits.matrixSide, "\(path).columns")
        for (i, l) in m.rows.prefix(Report.Limits.matrixSide).enumerated() { name(l, "\(path).rows[\(i)]") }
        for (i, l) in m.columns.prefix(Report.Limits.matrixSide).enumerated() { name(l, "\(path).columns[\(i)]") }
        if m.values.count != m.rows.count { fail("\(path).values", "\(m.values.count) rows for \(m.rows.count) names") }
        for (i, row) in m.values.prefix(Report.Limits.matrixSide).enumerated() {
            if row.count != m.columns.count {
                fail("\(path).values[\(i)]", "\(row.count) values for \(m.columns.count) columns")
            }
            for (j, x) in row.enumerated() {
                if !x.isFinite {
                    fail("\(path).values[\(i)][\(j)]", "\(x) is not a finite number")
                } else if let range, !(range.lowerBound - 1e-6...range.upperBound + 1e-6).contains(x) {
                    fail("\(path).values[\(i)][\(j)]", "\(x) is outside [\(range.lowerBound), \(range.upperBound)]")
                }
            }
        }
    }
}
