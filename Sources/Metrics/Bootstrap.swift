/// Seeded nonparametric bootstrap over rows: percentile confidence intervals of any metric, and a paired test
/// of the difference between two systems scored on the same rows.
///
/// Each of the `resamples` (B) replicates draws n row indices uniformly with replacement from a
/// `SeededGenerator` seeded with `seed`, so the same seed, B and n give the same intervals everywhere. The
/// interval is the percentile interval: the α/2 and 1−α/2 quantiles (α = 1 − confidence) of the B replicate
/// statistics, quantiles interpolated linearly between order statistics (numpy's default, "type 7"). The point
/// estimate is the statistic on the original rows. Cost: B evaluations of the statistic on n rows.
///
/// A statistic that throws on a replicate (say a correlation of a resample whose gold values are all equal)
/// makes the whole call throw that error: dropping such replicates would bias the interval without saying so.
/// A non-finite statistic throws `.nonFinite`.
public struct Bootstrap: Hashable, Sendable, Codable {
    public static let maximumResamples = 1_000_000
    /// B, the number of replicates.
    public let resamples: Int
    /// Coverage of the interval, in (0, 1); 0.95 by default.
    public let confidence: Double
    public let seed: UInt64

    /// Throws `.invalidArgument` unless `1 ≤ resamples ≤ maximumResamples` and `0 < confidence < 1`.
    public init(resamples: Int = 1000, confidence: Double = 0.95, seed: UInt64) throws {
        guard resamples >= 1, resamples <= Self.maximumResamples else {
            throw MetricsError(
                .invalidArgument, "bootstrap resamples \(resamples) is not in 1...\(Self.maximumResamples)")
        }
        guard confidence > 0, confidence < 1 else {
            throw MetricsError(.invalidArgument, "bootstrap confidence \(confidence) is not in (0, 1)")
        }
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed
    }

    /// The interval of a statistic of `rowCount` rows. `statistic` receives row indices (n of them, with
    /// repetition) and returns the metric of those rows; it is called once on `0..<rowCount` for the estimate.
    public func interval(rowCount: Int, statistic: ([Int]) throws -> Double) throws -> BootstrapInterval {
        try Check.nonEmpty(rowCount, "bootstrap rows")
        let estimate = try Self.finite(statistic(Array(0..<rowCount)))
        let replicates = try self.replicates(rowCount: rowCount) { try statistic($0) }
        let (lower, upper) = bounds(replicates)
        return BootstrapInterval(
            estimate: estimate, lower: lower, upper: upper, confidence: confidence, resamples: resamples, seed: seed)
    }

    /// The interval of `metric(gold, predicted)` over paired rows.
    public func interval<Gold, Predicted>(
        gold: [Gold], predicted: [Predicted], metric: ([Gold], [Predicted]) throws -> Double
    ) throws -> BootstrapInterval {
        try Check.sameLength(gold.count, predicted.count, "bootstrap")
        return try interval(rowCount: gold.count) { idx in try metric(idx.map { gold[$0] }, idx.map { predicted[$0] }) }
    }

    /// A paired bootstrap test of `statistic(system) − statistic(baseline)` on the same rows: every replicate
    /// scores both systems on the same resampled indices.
    ///
    /// The p-value is two-sided and inverts the percentile interval: with δ*₁…δ*_B the replicate differences,
    /// `p = min(1, 2·min((1 + #{δ*ᵦ ≤ 0}) / (B + 1), (1 + #{δ*ᵦ ≥ 0}) / (B + 1)))`. So p < 1 − confidence exactly
    /// when 0 lies outside the reported interval (up to the +1 terms, which keep p above 0: B replicates cannot
    /// show a p-value below 1/(B+1)). Identical systems give δ* ≡ 0 and p = 1.
    public func compare(
        rowCount: Int, system: ([Int]) throws -> Double, baseline: ([Int]) throws -> Double
    ) throws -> PairedBootstrapTest {
        try Check.nonEmpty(rowCount, "bootstrap rows")
        let all = Array(0..<rowCount)
        let a = try Self.finite(system(all)), b = try Self.finite(baseline(all))
        let deltas = try replicates(rowCount: rowCount) { idx in
            try Self.finite(system(idx)) - Self.finite(baseline(idx))
        }
        var atMost = 0, atLeast = 0
        for d in deltas {
            if d <= 0 { atMost += 1 }
            if d >= 0 { atLeast += 1 }
        }
        let tail = Double(1 + min(atMost, atLeast)) / Double(resamples + 1)
        let (lower, upper) = bounds(deltas)
        return PairedBootstrapTest(
            system: a, baseline: b, delta: a - b, lower: lower, upper: upper, pValue: min(1, 2 * tail),
            confidence: confidence, resamples: resamples, seed: seed)
    }

    /// The paired test of `metric(gold, predicted) − metric(gold, baseline)`.
    public func compare<Gold, Predicted>(
        gold: [Gold], predicted: [Predicted], baseline: [Predicted], metric: ([Gold], [Predicted]) throws -> Double
    ) throws -> PairedBootstrapTest {
        try Check.sameLength(gold.count, predicted.count, "paired bootstrap (system)")
        try Check.sameLength(gold.count, baseline.count, "paired bootstrap (baseline)")
        return try compare(
            rowCount: gold.count,
            system: { idx in try metric(idx.map { gold[$0] }, idx.map { predicted[$0] }) },
            baseline: { idx in try metric(idx.map { gold[$0] }, idx.map { baseline[$0] }) })
    }

    /// Most row draws (B · n) one call may make: bounds the time a pipeline's parameters and data can ask for
    /// (4·10⁹ draws are seconds of sampling in a release build, before the statistic's own cost).
    public static let maximumDraws = 4_000_000_000

    /// B replicate values of `f`, sorted; `f` gets one index buffer per replicate, reused.
    func replicates(rowCount n: Int, _ f: ([Int]) throws -> Double) throws -> [Double] {
        guard n.multipliedReportingOverflow(by: resamples).partialValue <= Self.maximumDraws, n <= Self.maximumDraws
        else {
            throw MetricsError(
                .invalidArgument,
                "bootstrap of \(n) rows × \(resamples) resamples exceeds \(Self.maximumDraws) draws; lower the resamples"
            )
        }
        var rng = SeededGenerator(seed: seed)
        var idx = Array(repeating: 0, count: n)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        for _ in 0..<resamples {
            for i in 0..<n { idx[i] = rng.next(below: n) }
            values.append(try Self.finite(f(idx)))
        }
        return values.sorted()
    }

    func bounds(_ sorted: [Double]) -> (Double, Double) {
        let alpha = 1 - confidence
        return (Self.quantile(sorted, alpha / 2), Self.quantile(sorted, 1 - alpha / 2))
    }

    /// The q-quantile of sorted values, linear between order statistics: h = (B−1)·q,
    /// x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) — numpy.quantile's default. q is clamped to [0, 1]; the quantile of
    /// no values is NaN.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let h = Double(sorted.count - 1) * min(1, max(0, q))
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    static func finite(_ v: Double) throws -> Double {
        guard v.isFinite else { throw MetricsError(.nonFinite, "the bootstrapped statistic returned \(v)") }
        return v
    }
}

/// A point estimate with its bootstrap percentile interval.
public struct BootstrapInterval: Hashable, Sendable, Codable {
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    public var confidence: Double
    public var resamples: Int
    public var seed: UInt64
}

/// The paired bootstrap comparison of a system with a baseline on the same rows (see `Bootstrap.compare`).
public struct PairedBootstrapTest: Hashable, Sendable, Codable {
    /// The metric of the system on all rows.
    public var system: Double
    /// The metric of the baseline on all rows.
    public var baseline: Double
    /// system − baseline.
    public var delta: Double
    /// Percentile interval of the difference.
    public var lower: Double
    public var upper: Double
    /// Two-sided p-value of "no difference" (see `Bootstrap.compare` for its definition).
    public var pValue: Double
    public var confidence: Double
    public var resamples: Int
    public var seed: UInt64
}
