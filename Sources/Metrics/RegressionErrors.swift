/// Error measures of paired real values. Throw `.empty`, `.lengthMismatch` or `.nonFinite` on such input.
public enum RegressionErrors {
    /// Mean absolute error: Σ|y − ŷ| / n.
    public static func meanAbsoluteError(gold: [Double], predicted: [Double]) throws -> Double {
        try mean(gold, predicted) { abs($0) }
    }

    /// Mean squared error: Σ(y − ŷ)² / n.
    public static func meanSquaredError(gold: [Double], predicted: [Double]) throws -> Double {
        try mean(gold, predicted) { $0 * $0 }
    }

    static func mean(_ gold: [Double], _ predicted: [Double], _ f: (Double) -> Double) throws -> Double {
        try Check.nonEmpty(gold.count, "gold")
        try Check.sameLength(gold.count, predicted.count, "regression error")
        try Check.finite(gold, "gold value")
        try Check.finite(predicted, "predicted value")
        var sum = 0.0
        for (g, p) in zip(gold, predicted) { sum += f(g - p) }
        return sum / Double(gold.count)
    }
}
