import Foundation
import Metrics
import Report
import Training

/// The perplexities of the evaluated model and the base model on one corpus's rows, with their bootstrap
/// intervals over rows and the paired test of the difference (same rows, same masks), as report parts.
struct CorpusScores {
    let corpus: String
    let kind: PerplexityComparison.Kind
    let split: String
    let model: [RowLoss]
    let base: [RowLoss]?

    /// exp(Σ nll / Σ tokens) over the rows `idx` (with repetition) of `rows`; NaN without tokens, which the
    /// bootstrap reports as an error rather than a number.
    static func perplexity(_ rows: [RowLoss], _ idx: [Int]) -> Double {
        var nll = 0.0, tokens = 0
        for i in idx {
            nll += rows[i].nll
            tokens += rows[i].tokens
        }
        return tokens > 0 ? Foundation.exp(nll / Double(tokens)) : .nan
    }

    var tokens: Int { model.reduce(0) { $0 + $1.tokens } }

    /// The task entry (kind `language_modeling`, headline `perplexity`, the base model as baseline `base`) and
    /// the before/after row of the perplexity table.
    func report(bootstrap: Bootstrap, curves: [Curve]) throws -> (TaskReport, PerplexityComparison?) {
        let n = model.count
        let interval = try bootstrap.interval(rowCount: n) { Self.perplexity(model, $0) }
        var baselines: [BaselineComparison] = []
        var comparison: PerplexityComparison?
        if let base {
            let baseInterval = try bootstrap.interval(rowCount: n) { Self.perplexity(base, $0) }
            let test = try bootstrap.compare(
                rowCount: n, system: { Self.perplexity(model, $0) }, baseline: { Self.perplexity(base, $0) })
            baselines.append(
                BaselineComparison(baseline: "base", metric: "perplexity", test: test, baselineInterval: baseInterval))
            comparison = PerplexityComparison(
                corpus: corpus, kind: kind, tokens: tokens, before: test.baseline, after: test.system)
        }
        let task = TaskReport(
            name: corpus, kind: .languageModeling, split: split, rows: n, headline: "perplexity",
            metrics: [MetricResult(name: "perplexity", bootstrap: interval)], baselines: baselines, curves: curves)
        return (task, comparison)
    }
}
