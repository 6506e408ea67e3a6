/// Correlation coefficients of paired series, as scipy.stats computes them.
///
/// Both throw `.empty` below two rows, `.nonFinite` on NaN or infinity, and `.zeroVariance` when either series is
/// constant (scipy returns NaN with a warning there; a report cannot show NaN, so the caller decides).
public enum Correlation {
    /// Pearson's r: Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²), clipped to [−1, 1] against rounding.
    public static func pearson(_ x: [Double], _ y: [Double]) throws -> Double {
        try Check.sameLength(x.count, y.count, "pearson")
        guard x.count >= 2 else {
            throw MetricsError(.empty, "pearson needs at least 2 rows, got \(x.count)")
        }
        try Check.finite(x, "pearson gold value")
        try Check.finite(y, "pearson predicted value")
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            let dx = a - mx, dy = b - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else {
            throw MetricsError(
                .zeroVariance,
                "correlation of a constant series is undefined (\(sxx == 0 ? "gold" : "predicted") values are all equal)"
            )
        }
        return min(1, max(-1, sxy / (sxx.squareRoot() * syy.squareRoot())))
    }

    /// Spearman's ρ: Pearson's r of the ranks, tied values sharing the mean of their ranks.
    public static func spearman(_ x: [Double], _ y: [Double]) throws -> Double {
        try Check.sameLength(x.count, y.count, "spearman")
        try Check.finite(x, "spearman gold value")
        try Check.finite(y, "spearman predicted value")
        return try pearson(ranks(x), ranks(y))
    }

    /// 1-based ranks; a run of equal values gets the average of the ranks it spans ("average" in scipy).
    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { (values[$0], $0) < (values[$1], $1) }
        var ranks = Array(repeating: 0.0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j + 2) / 2  // ranks i+1 ... j+1
            for k in i...j { ranks[order[k]] = average }
            i = j + 1
        }
        return ranks
    }
}
