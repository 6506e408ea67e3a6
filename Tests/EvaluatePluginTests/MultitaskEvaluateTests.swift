import Datasets
import Foundation
import Metrics
import Models
import NN
import Report
import StageKit
import Tensor
import TestSupport
import Testing
import Training

/// The task part of the real `finetuned-stage-evaluate` executable on tiny multitask artifacts: metrics that can
/// be worked out by hand (heads with zero weights predict the same for every row), predictions files, paired
/// comparisons with a baseline artifact, gate weights, the conflict matrix and validation curves from
/// metrics.json, and predictions that match an independent forward pass of the model.
@Suite(.serialized) struct MultitaskEvaluateTests {
    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-6) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    func metric(_ t: TaskReport, _ name: String) -> MetricResult? { t.metrics.first { $0.name == name } }

    @Test func constantHeadsGiveTheHandComputedMetricsAndDeltas() async throws {
        let mt = try MultitaskWorkspace()
        // Evaluated: always spam (logits 0, 1), score 0.25; baseline: always ham, score 0.5.
        let experts = CustomizedGateControl.Configuration(
            sharedExperts: 1, taskExperts: 1, expertHidden: 4, expertOutput: 4, levels: 1)
        let (mtDir, model) = try mt.multitask("mt", smsBias: [0, 1], scoreBias: 0.25, experts: experts)
        let (singleDir, _) = try mt.multitask("single", smsBias: [1, 0], scoreBias: 0.5, seed: 9)
        try mt.ws.write(
            "mt/metrics.json",
            """
            {"metrics": {"sms": "accuracy", "score": "pearson"},
             "evaluations": [{"step": 10, "mean_score": 0.3, "scores": {"sms": 0.5, "score": 0.1}},
                             {"step": 20, "mean_score": 0.4, "scores": {"sms": 0.625, "score": 0.2}}],
             "conflicts": [{"first": "sms", "second": "score", "cosine": -0.3, "step": 10},
                           {"first": "sms", "second": "score", "cosine": 0.25, "step": 20}]}
            """)
        try mt.ws.write("mt/curve.jsonl", "{\"step\": 1, \"loss\": 0.9}\n{\"step\": 2, \"loss\": 0.7, \"lr\": 0.001}\n")
        let upstream = ["tokenize": mt.artifact, "mt": mtDir, "single": singleDir]
        let params: StageKit.JSONValue = ["baselines": ["single"], "resamples": 300, "batch_size": 4]
        let outcome = try await mt.ws.run(
            EvaluateWorkspace.evaluate, try mt.request("eval", params: params, upstream: upstream))
        #expect(outcome.status == 0, "\(outcome.error ?? "") \(outcome.events.suffix(3))")
        let report = try Report.read(contentsOf: URL(fileURLWithPath: mt.ws.output("eval") + "/report.json"))
        #expect(report.model == "mt" && report.tasks.map(\.name) == ["sms", "score"])

        // sms: gold spam ×4, ham ×2; predicted spam ×6 with p(spam) = e/(1+e).
        let sms = report.tasks[0]
        #expect(sms.kind == .classification && sms.split == "test" && sms.rows == 6)
        #expect(sms.headline == "accuracy")  // the training stage's selection metric
        #expect(close(metric(sms, "accuracy")?.value, 4.0 / 6))
        #expect(close(metric(sms, "micro_f1")?.value, 4.0 / 6))
        // spam: P 4/6, R 1, F1 0.8; ham: 0 → macro 0.4, weighted (4·0.8 + 2·0)/6.
        #expect(close(metric(sms, "macro_f1")?.value, 0.4))
        #expect(close(metric(sms, "weighted_f1")?.value, 3.2 / 6))
        #expect(close(metric(sms, "mcc")?.value, 0))
        let confidence = exp(1.0) / (1 + exp(1.0))
        #expect(close(metric(sms, "ece")?.value, confidence - 4.0 / 6))
        #expect(sms.confusion == ConfusionTable(labels: ["ham", "spam"], counts: [[0, 2], [0, 4]]))
        #expect(sms.perClass.map(\.label) == ["ham", "spam"] && close(sms.perClass[1].f1, 0.8))
        #expect(sms.perClass.map(\.support) == [2, 4])
        #expect(sms.calibration?.bins.map(\.count).reduce(0, +) == 6)
        let interval = try #require(metric(sms, "accuracy")?.interval)
        #expect(interval.resamples == 300 && interval.lower <= 4.0 / 6 && 4.0 / 6 <= interval.upper)

        // Against the baseline (always ham: accuracy 2/6, macro-F1 0.25): paired deltas on the same rows.
        let accuracy = try #require(sms.baselines.first { $0.baseline == "single" && $0.metric == "accuracy" })
        #expect(close(accuracy.value, 2.0 / 6) && close(accuracy.delta, 1.0 / 3))
        let band = try #require(accuracy.deltaInterval)
        #expect(band.lower <= 1.0 / 3 && 1.0 / 3 <= band.upper && band.resamples == 300)
        let p = try #require(accuracy.pValue)
        #expect(p > 0 && p <= 1)
        #expect((band.lower > 0) == (p < 0.05) || band.lower == 0)
        let macro = try #require(sms.baselines.first { $0.baseline == "single" && $0.metric == "macro_f1" })
        #expect(close(macro.value, 0.25) && close(macro.delta, 0.15))

        // score: gold 0.1, 0.5, 0.9, 0.3; predicted 0.25 → MAE 0.275, MSE 0.1275; no correlation of a constant.
        let score = report.tasks[1]
        #expect(score.kind == .regression && score.rows == 4 && score.headline == "mae")
        #expect(close(metric(score, "mae")?.value, 0.275, 1e-6) && close(metric(score, "mse")?.value, 0.1275, 1e-6))
        #expect(metric(score, "pearson") == nil && metric(score, "spearman") == nil)
        #expect(report.notice?.contains("score: pearson is undefined") == true, "\(report.notice ?? "")")
        let mae = try #require(score.baselines.first { $0.metric == "mae" })
        #expect(close(mae.value, 0.25, 1e-6) && close(mae.delta, 0.025, 1e-6))

        // Curves: the training loss of curve.jsonl and each task's validation scores of metrics.json.
        #expect(sms.curves.contains { $0.split == "train" && $0.metric == "loss" && $0.points.count == 2 })
        let validation = try #require(sms.curves.first { $0.split == "validation" })
        #expect(validation.metric == "accuracy" && validation.points.map(\.value) == [0.5, 0.625])
        // The latest cosine of the pair, and the evaluated model's gates on the test rows.
        #expect(report.gradientConflict?.values == [[1, 0.25], [0.25, 1]])
        let gates = try #require(report.gateWeights)
        #expect(gates.rows == ["sms", "score"] && gates.columns == ["task-specific 1", "shared 1"])
        let shard = try TokenShardReader(path: mt.artifact + "/tokens/sms/test.bin")
        let batch = try TaskBatcher(task: 0, spec: model.tasks[0], padID: 0).batch(shard, rows: Array(0..<6))
        let expected = try #require(GradMode.withoutGrad { model(batch, context: .inference).gates })
        for j in 0..<2 {
            var sum = 0.0
            for r in 0..<6 { sum += Double(expected.pointer[r * 2 + j]) }
            let mean = sum / 6
            #expect(close(gates.values[0][j], mean, 1e-5))
        }

        // predictions/sms.jsonl: every row, its id, gold, the prediction and the probabilities.
        let lines = try mt.predictions("eval", task: "sms")
        #expect(lines.map { $0["id"] as? String } == MultitaskWorkspace.smsIDs)
        #expect(lines.map { $0["gold"] as? String } == ["spam", "spam", "spam", "spam", "ham", "ham"])
        #expect(lines.allSatisfy { $0["predicted"] as? String == "spam" && $0["split"] as? String == "test" })
        let probabilities = try #require(lines.first?["probabilities"] as? [String: Double])
        #expect(close(probabilities["spam"], confidence, 1e-6) && close(probabilities["ham"], 1 - confidence, 1e-6))
        let values = try mt.predictions("eval", task: "score")
        #expect(values.map { $0["id"] as? String } == ["0", "1", "2", "3"])
        #expect(values.allSatisfy { close($0["predicted"] as? Double, 0.25, 1e-6) })
        #expect(zip(values, MultitaskWorkspace.scoreGold).allSatisfy { close($0["gold"] as? Double, Double($1), 1e-6) })

        // The page renders the tasks, and the result summary carries the headlines and deltas.
        let html = try String(contentsOfFile: mt.ws.output("eval") + "/report.html", encoding: .utf8)
        #expect(html.contains("Gate weights") && html.contains("Gradient conflict"))
        guard case .result(let summary)? = outcome.events.last else {
            Issue.record("no result event")
            return
        }
        #expect(summary["tasks"]?["sms"]?["headline"] == "accuracy")
        #expect(
            summary["tasks"]?["sms"]?["baselines"]?["single"]?["delta"]?.doubleValue.map { close($0, 1.0 / 3) } == true)
    }

    @Test func predictionsMatchAnIndependentForwardPass() async throws {
        let mt = try MultitaskWorkspace()
        let (dir, model) = try mt.multitask("mt")  // random heads: predictions differ between rows
        let outcome = try await mt.ws.run(
            EvaluateWorkspace.evaluate,
            try mt.request(
                "eval", params: ["resamples": 50, "batch_size": 4], upstream: ["tokenize": mt.artifact, "mt": dir]))
        #expect(outcome.status == 0, "\(outcome.error ?? "")")
        let report = try Report.read(contentsOf: URL(fileURLWithPath: mt.ws.output("eval") + "/report.json"))
        let lines = try mt.predictions("eval", task: "sms")
        // The forward of the model's own per-task path, one batch of all rows.
        let shard = try TokenShardReader(path: mt.artifact + "/tokens/sms/test.bin")
        let batch = try TaskBatcher(task: 0, spec: model.tasks[0], padID: 0).batch(shard, rows: Array(0..<6))
        let logits = GradMode.withoutGrad { model(batch, context: .inference).output }
        var predicted: [Int] = []
        for (r, line) in lines.enumerated() {
            let l = (0..<2).map { Double(logits.pointer[r * 2 + $0]) }
            let spam = exp(l[1]) / (exp(l[0]) + exp(l[1]))
            let p = try #require(line["probabilities"] as? [String: Double])
            #expect(close(p["spam"], spam, 1e-5), "row \(r)")
            predicted.append(l[1] > l[0] ? 1 : 0)
            #expect(line["predicted"] as? String == (l[1] > l[0] ? "spam" : "ham"))
        }
        let gold = MultitaskWorkspace.smsGold.map(Int.init)
        let scores = try ClassificationScores(gold: gold, predicted: predicted, classCount: 2)
        #expect(close(metric(report.tasks[0], "accuracy")?.value, scores.accuracy))
        #expect(close(metric(report.tasks[0], "macro_f1")?.value, scores.macroF1))
        // Regression: the report's correlations are those of the written predictions.
        let values = try mt.predictions("eval", task: "score").compactMap { $0["predicted"] as? Double }
        let targets = MultitaskWorkspace.scoreGold.map(Double.init)
        #expect(close(metric(report.tasks[1], "pearson")?.value, try Correlation.pearson(targets, values), 1e-9))
        #expect(report.tasks[1].headline == "pearson")
    }

    @Test func badInputsAreLocatedErrors() async throws {
        let mt = try MultitaskWorkspace()
        let (dir, _) = try mt.multitask("mt", smsBias: [0, 1], scoreBias: 0)
        let upstream = ["tokenize": mt.artifact, "mt": dir]
        let cases: [(StageKit.JSONValue, String)] = [
            (["splits": ["validation"]], "splits: input 'sms' (task 'sms') has no 'validation' split (splits: test)"),
            (["baselines": ["nope"]], "baselines: 'nope' is not an upstream stage of this stage"),
            (["multitask": "tokenize"], "multitask: stage 'tokenize' has no multitask artifact"),
            (
                ["tasks": ["sms": "score"]],
                mt.artifact
                    + "/tokens/score/test.bin: error: task 'sms' is a classifier but the shard has no class labels"
            ),
        ]
        for (k, (params, message)) in cases.enumerated() {
            let outcome = try await mt.ws.run(
                EvaluateWorkspace.evaluate, try mt.request("bad\(k)", params: params, upstream: upstream))
            #expect(outcome.status != 0)
            #expect(outcome.error?.hasPrefix(message) == true, "\(outcome.error ?? "no error")")
        }
        // A multitask artifact without its heads' file names it.
        try FileManager.default.removeItem(atPath: dir + "/multitask.safetensors")
        let broken = try await mt.ws.run(
            EvaluateWorkspace.evaluate, try mt.request("broken", params: [:], upstream: upstream))
        #expect(broken.error?.contains(dir + "/multitask.safetensors") == true, "\(broken.error ?? "")")
    }
}
