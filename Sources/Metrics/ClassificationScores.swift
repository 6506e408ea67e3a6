/// Precision, recall and F1 of one class, with its support (gold rows of the class).
public struct ClassScore: Hashable, Sendable, Codable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

/// The single-label classification scores of a confusion matrix, as scikit-learn defines them.
///
/// Conventions (each matches scikit-learn 1.x with `zero_division=0`):
/// - precision of a class never predicted is 0; recall of a class with no gold rows is 0; F1 is
///   `2·tp / (2·tp + fp + fn)`, 0 when that denominator is 0.
/// - `macroF1` (and macro precision/recall, `weightedF1`) average over the classes that occur in gold **or**
///   predictions — scikit-learn's default when `labels` is not given — so a class absent from a test split and
///   never predicted does not pull the average to 0. `perClass` still lists every class `0..<classCount`.
/// - `microF1` pools tp/fp/fn over classes; for single-label rows it equals accuracy.
/// - `mcc` is the multiclass Matthews correlation (Gorodkin 2004, the R_K statistic):
///   `(c·s − Σₖ pₖtₖ) / √((s² − Σₖ pₖ²)(s² − Σₖ tₖ²))` with c correct rows, s all rows, tₖ gold and pₖ predicted
///   rows of class k; 0 when the denominator is 0 (a single class in gold or in predictions), as scikit-learn.
public struct ClassificationScores: Hashable, Sendable, Codable {
    public var accuracy: Double
    public var microF1: Double
    public var macroPrecision: Double
    public var macroRecall: Double
    public var macroF1: Double
    /// F1 averaged with support weights over the present classes.
    public var weightedF1: Double
    public var mcc: Double
    /// One entry per class index.
    public var perClass: [ClassScore]

    /// Scores of a matrix. Throws `.empty` if it counts no rows.
    public init(_ m: ConfusionMatrix) throws {
        let s = m.total
        try Check.nonEmpty(s, "confusion matrix")
        let t = m.goldTotals, p = m.predictedTotals
        var perClass: [ClassScore] = []
        perClass.reserveCapacity(m.classCount)
        for k in 0..<m.classCount {
            let tp = m[k, k], fp = p[k] - tp, fn = t[k] - tp
            let precision = p[k] == 0 ? 0 : Double(tp) / Double(p[k])
            let recall = t[k] == 0 ? 0 : Double(tp) / Double(t[k])
            let denominator = 2 * tp + fp + fn
            let f1 = denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
            perClass.append(ClassScore(precision: precision, recall: recall, f1: f1, support: t[k]))
        }
        let present = (0..<m.classCount).filter { t[$0] > 0 || p[$0] > 0 }
        let n = Double(present.count)
        macroPrecision = present.reduce(0) { $0 + perClass[$1].precision } / n
        macroRecall = present.reduce(0) { $0 + perClass[$1].recall } / n
        macroF1 = present.reduce(0) { $0 + perClass[$1].f1 } / n
        // Present classes always include every class with support, so the weights sum to s > 0.
        weightedF1 = present.reduce(0) { $0 + perClass[$1].f1 * Double(t[$1]) } / Double(s)

        let c = m.correct
        accuracy = Double(c) / Double(s)
        // Pooled over classes: tp = c, fp = fn = s − c.
        microF1 = Double(2 * c) / Double(2 * c + 2 * (s - c))

        // Doubles: s² overflows Int beyond ~3·10⁹ rows, and the products are only used in ratios.
        let sd = Double(s), cd = Double(c)
        var pt = 0.0, pp = 0.0, tt = 0.0
        for k in 0..<m.classCount {
            pt += Double(p[k]) * Double(t[k])
            pp += Double(p[k]) * Double(p[k])
            tt += Double(t[k]) * Double(t[k])
        }
        let denominator = ((sd * sd - pp) * (sd * sd - tt)).squareRoot()
        mcc = denominator == 0 ? 0 : (cd * sd - pt) / denominator
        self.perClass = perClass
    }

    /// Scores of paired class indices (see `ConfusionMatrix.init(gold:predicted:classCount:)` for what throws).
    public init(gold: [Int], predicted: [Int], classCount: Int) throws {
        try self.init(ConfusionMatrix(gold: gold, predicted: predicted, classCount: classCount))
    }
}
