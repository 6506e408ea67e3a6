import Foundation
import Metrics
import Testing

@testable import Report

/// A report filled the way the evaluate stage will fill it: from `Metrics` results on (hand-made) rows.
@Suite struct ReportMetricsTests {
    @Test func aReportBuiltFromMetricsValidatesAndRenders() throws {
        let gold = [0, 0, 1, 1, 2, 2, 0, 1, 2, 0], predicted = [0, 1, 1, 1, 2, 0, 0, 1, 2, 0]
        let baseline = [0, 0, 0, 1, 0, 0, 0, 1, 2, 2]
        let bootstrap = try Bootstrap(resamples: 200, seed: 11)
        let accuracy: ([Int], [Int]) throws -> Double = {
            try ClassificationScores(gold: $0, predicted: $1, classCount: 3).accuracy
        }
        let interval = try bootstrap.interval(gold: gold, predicted: predicted, metric: accuracy)
        let test = try bootstrap.compare(gold: gold, predicted: predicted, baseline: baseline, metric: accuracy)
        let scores = try ClassificationScores(gold: gold, predicted: predicted, classCount: 3)
        let labels = ["a", "b", "c"]
        let probabilities = predicted.map { p -> [Double] in
            var row = [0.1, 0.1, 0.1]
            row[p] = 0.8
            return row
        }
        let calibration = try Calibration(gold: gold, probabilities: probabilities, classCount: 3)
        let task = TaskReport(
            name: "toy", kind: .classification, split: "test", rows: gold.count, headline: "accuracy",
            metrics: [
                MetricResult(name: "accuracy", bootstrap: interval), MetricResult(name: "mcc", value: scores.mcc),
            ],
            perClass: try ClassRow.rows(labels: labels, scores: scores),
            confusion: try ConfusionTable(
                labels: labels, matrix: ConfusionMatrix(gold: gold, predicted: predicted, classCount: 3)),
            baselines: [BaselineComparison(baseline: "base", metric: "accuracy", test: test)],
            calibration: CalibrationSummary(calibration))
        let report = Report(pipeline: "p", model: "m", notice: "hand-made rows", tasks: [task])
        #expect(report.problems().isEmpty, "\(report.problems())")
        #expect(
            task.metrics[0].value == 0.8 && task.baselines[0].value == 0.6 && abs(task.baselines[0].delta - 0.2) < 1e-12
        )
        #expect(task.baselines[0].deltaInterval?.resamples == 200 && task.baselines[0].pValue == test.pValue)
        #expect(task.confusion?.counts == [[3, 1, 0], [0, 3, 0], [1, 0, 2]])
        #expect(try Report.decode(report.jsonData()) == report)
        let html = HTMLReportRenderer.render(report)
        #expect(parseXML(html).error == nil && html.contains("0.800"))
        // Confidence 0.8 on every row and accuracy 0.8: perfectly calibrated.
        #expect(abs(calibration.ece) < 1e-12 && html.contains("reliability (ECE 0.000)"))
        #expect(throws: ReportError.self) {
            try ConfusionTable(labels: ["a"], matrix: ConfusionMatrix(gold: gold, predicted: predicted, classCount: 3))
        }
    }

    @Test func entityScoresBecomePerTypeRows() throws {
        let s = try EntityScores(gold: [["B-PER", "I-PER", "O", "B-LOC"]], predicted: [["B-PER", "I-PER", "O", "O"]])
        let rows = ClassRow.rows(s)
        #expect(rows.map(\.label) == ["LOC", "PER"] && rows[1].f1 == 1 && rows[0].support == 1)
    }
}
