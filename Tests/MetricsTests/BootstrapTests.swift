import Testing

@testable import Metrics

@Suite struct BootstrapTests {
    @Test func quantilesMatchNumpy() {
        for c in Golden.shared.quantiles {
            #expect(close(c.q.map { Bootstrap.quantile(c.sorted, $0) }, c.expected), "n = \(c.sorted.count)")
        }
    }

    @Test func sameSeedSameInterval() throws {
        let correct = (0..<300).map { $0 % 3 != 0 }
        let accuracy: ([Int]) -> Double = { idx in Double(idx.filter { correct[$0] }.count) / Double(idx.count) }
        let a = try Bootstrap(resamples: 200, seed: 42).interval(rowCount: 300, statistic: accuracy)
        let b = try Bootstrap(resamples: 200, seed: 42).interval(rowCount: 300, statistic: accuracy)
        let c = try Bootstrap(resamples: 200, seed: 43).interval(rowCount: 300, statistic: accuracy)
        #expect(a == b && (a.lower, a.upper) != (c.lower, c.upper))
        #expect(close(a.estimate, 2.0 / 3) && a.lower < a.estimate && a.estimate < a.upper)
        #expect(a.confidence == 0.95 && a.resamples == 200 && a.seed == 42)
    }

    @Test func pairedRowsGiveTheSameIntervalAsIndices() throws {
        let gold = (0..<120).map { $0 % 4 }, predicted = (0..<120).map { $0 % 5 == 0 ? 0 : $0 % 4 }
        let bootstrap = try Bootstrap(resamples: 100, seed: 9)
        let byRows = try bootstrap.interval(gold: gold, predicted: predicted) { g, p in
            try ClassificationScores(gold: g, predicted: p, classCount: 4).macroF1
        }
        let byIndex = try bootstrap.interval(rowCount: 120) { idx in
            try ClassificationScores(gold: idx.map { gold[$0] }, predicted: idx.map { predicted[$0] }, classCount: 4)
                .macroF1
        }
        #expect(byRows == byIndex)
    }

    @Test func aConstantStatisticHasAPointInterval() throws {
        let i = try Bootstrap(resamples: 50, seed: 1).interval(rowCount: 10) { _ in 0.25 }
        #expect(i.lower == 0.25 && i.upper == 0.25 && i.estimate == 0.25)
    }

    /// Coverage: rows are Bernoulli(0.7) correct/incorrect, so the true accuracy is 0.7. Over 400 seeded
    /// replications (n = 200 rows, B = 400) the 95% percentile interval must contain 0.7 in 95% ± 3.5 binomial
    /// standard deviations (√(0.95·0.05/400) ≈ 1.1%) of them; an 80% interval must cover about 80% — which
    /// also shows the check can tell a wrong confidence level apart.
    @Test func percentileIntervalsCoverTheTruth() throws {
        let truth = 0.7, n = 200, replications = 400
        var covered95 = 0, covered80 = 0
        for r in 0..<replications {
            var data = SeededGenerator(seed: 1000 + UInt64(r))
            // The top 53 bits of next() / 2⁵³ are uniform in [0, 1).
            let correct = (0..<n).map { _ in Double(data.next() >> 11) / Double(1 << 53) < truth ? 1.0 : 0.0 }
            let accuracy: ([Int]) -> Double = { idx in
                var s = 0.0
                for j in idx { s += correct[j] }
                return s / Double(idx.count)
            }
            // Both levels read the same B = 400 replicates (one resampling pass per replication).
            let b95 = try Bootstrap(resamples: 400, confidence: 0.95, seed: UInt64(r))
            let b80 = try Bootstrap(resamples: 400, confidence: 0.80, seed: UInt64(r))
            let replicates = try b95.replicates(rowCount: n, accuracy)
            let (l95, u95) = b95.bounds(replicates), (l80, u80) = b80.bounds(replicates)
            if r == 0 {
                let i = try b95.interval(rowCount: n, statistic: accuracy)
                #expect(i.lower == l95 && i.upper == u95, "the public interval is these bounds")
            }
            if l95 <= truth && truth <= u95 { covered95 += 1 }
            if l80 <= truth && truth <= u80 { covered80 += 1 }
        }
        func band(_ p: Double) -> ClosedRange<Double> {
            let sd = (p * (1 - p) / Double(replications)).squareRoot()
            return (p - 3.5 * sd)...(p + 3.5 * sd)
        }
        let c95 = Double(covered95) / Double(replications), c80 = Double(covered80) / Double(replications)
        #expect(band(0.95).contains(c95), "95% interval covered the truth in \(c95) of replications")
        #expect(band(0.80).contains(c80), "80% interval covered the truth in \(c80) of replications")
        #expect(!band(0.95).contains(c80))
    }

    @Test func identicalSystemsHaveNoDifference() throws {
        let gold = (0..<50).map { $0 % 2 }, predicted = (0..<50).map { $0 % 3 == 0 ? 1 : $0 % 2 }
        let t = try Bootstrap(resamples: 200, seed: 5).compare(gold: gold, predicted: predicted, baseline: predicted) {
            try ClassificationScores(gold: $0, predicted: $1, classCount: 2).accuracy
        }
        #expect(t.delta == 0 && t.lower == 0 && t.upper == 0 && t.pValue == 1)
    }

    @Test func aClearlyBetterSystemHasTheSmallestPValue() throws {
        // 200 rows: the system is right on 180, the baseline on 120 (a subset of the system's).
        let gold = Array(repeating: 1, count: 200)
        let system = (0..<200).map { $0 < 180 ? 1 : 0 }, baseline = (0..<200).map { $0 < 120 ? 1 : 0 }
        let t = try Bootstrap(resamples: 500, seed: 3).compare(gold: gold, predicted: system, baseline: baseline) {
            try ClassificationScores(gold: $0, predicted: $1, classCount: 2).accuracy
        }
        #expect(close(t.delta, 0.3) && close(t.system, 0.9) && close(t.baseline, 0.6))
        #expect(t.lower > 0.2 && t.upper < 0.4)
        #expect(close(t.pValue, 2.0 / 501))
        // Swapped, the difference is negative and the test equally sure.
        let s = try Bootstrap(resamples: 500, seed: 3).compare(gold: gold, predicted: baseline, baseline: system) {
            try ClassificationScores(gold: $0, predicted: $1, classCount: 2).accuracy
        }
        #expect(close(s.delta, -0.3) && close(s.lower, -t.upper) && close(s.upper, -t.lower) && s.pValue == t.pValue)
    }

    /// Under the null (two systems drawn alike), p < 0.05 should happen in about 5% of 300 replications:
    /// within 3.5 binomial sd (≈ 4.4 points) of it.
    @Test func pValuesAreCalibratedUnderTheNull() throws {
        let n = 100, replications = 300
        var rejections = 0
        for r in 0..<replications {
            var data = SeededGenerator(seed: 50_000 + UInt64(r))
            let a = (0..<n).map { _ in data.next(below: 10) < 7 ? 1.0 : 0 }
            let b = (0..<n).map { _ in data.next(below: 10) < 7 ? 1.0 : 0 }
            let mean: ([Double], [Int]) -> Double = { v, idx in
                var s = 0.0
                for j in idx { s += v[j] }
                return s / Double(idx.count)
            }
            let t = try Bootstrap(resamples: 300, seed: UInt64(r)).compare(
                rowCount: n, system: { mean(a, $0) }, baseline: { mean(b, $0) })
            if t.pValue < 0.05 { rejections += 1 }
        }
        let rate = Double(rejections) / Double(replications)
        #expect(rate <= 0.05 + 3.5 * (0.05 * 0.95 / Double(replications)).squareRoot(), "rejection rate \(rate)")
        #expect(rejections > 0, "a test that never rejects is not calibrated either")
    }

    @Test func aSingleRowHasAPointInterval() throws {
        let i = try Bootstrap(resamples: 30, seed: 4).interval(rowCount: 1) { idx in Double(idx.count + idx[0]) }
        #expect(i.estimate == 1 && i.lower == 1 && i.upper == 1)
    }

    @Test func workIsBounded() throws {
        let b = try Bootstrap(resamples: 1_000_000, seed: 1)
        #expect { try b.interval(rowCount: 5_000) { _ in 0 } } throws: {
            ($0 as? MetricsError)?.kind == .invalidArgument
        }
    }

    @Test func errorsAreThrownNotSwallowed() throws {
        #expect { try Bootstrap(resamples: 0, seed: 1) } throws: { ($0 as? MetricsError)?.kind == .invalidArgument }
        #expect { try Bootstrap(confidence: 1, seed: 1) } throws: { ($0 as? MetricsError)?.kind == .invalidArgument }
        let b = try Bootstrap(resamples: 20, seed: 1)
        #expect { try b.interval(rowCount: 0) { _ in 1 } } throws: { ($0 as? MetricsError)?.kind == .empty }
        #expect { try b.interval(rowCount: 5) { _ in .nan } } throws: { ($0 as? MetricsError)?.kind == .nonFinite }
        // Pearson of resampled rows whose gold is constant: the replicate's error reaches the caller.
        let x: [Double] = [1, 2, 1, 1, 1, 1, 1, 1], y: [Double] = [3, 1, 2, 5, 4, 6, 7, 8]
        #expect {
            try Bootstrap(resamples: 200, seed: 2).interval(gold: x, predicted: y, metric: Correlation.pearson)
        } throws: {
            ($0 as? MetricsError)?.kind == .zeroVariance
        }
        #expect { try b.compare(gold: [1], predicted: [1, 2], baseline: [1]) { _, _ in 0 } } throws: {
            ($0 as? MetricsError)?.kind == .lengthMismatch
        }
    }
}
