import Foundation
import Report
import StageKit
import Testing

/// The real `finetuned-stage-evaluate` executable on the real domain-pretrain stage's artifact of a tiny BERT:
/// its perplexities of the trained model and of the base model (trunk + the head the domain-pretrain stage
/// measured "before" with) reproduce that stage's own before/after numbers — same rows, same seeded masks, other
/// batches — and come with bootstrap intervals, a paired test, the training curve and a rendered page.
@Suite(.serialized) struct EvaluatePluginTests {
    static let dapt: StageKit.JSONValue = [
        "corpus": "corpus", "general": "general", "steps": 20, "head_warmup_steps": 4, "batch_size": 4,
        "eval_every": 10, "eval_rows": 12, "checkpoint_every": 0, "lr": 1e-3,
    ]
    static let evaluate: StageKit.JSONValue = [
        "corpus": "corpus", "general": "general", "rows": 12, "batch_size": 5, "resamples": 200,
    ]

    /// A workspace in which the domain-pretrain stage has run (its artifact in `dapt/output`).
    func trained() async throws -> (EvaluateWorkspace, StageKit.JSONValue) {
        let ws = try EvaluateWorkspace()
        let run = try await ws.run(
            EvaluateWorkspace.domainPretrain,
            try ws.request(
                "dapt", stage: "dapt", params: Self.dapt, upstream: ["tokenize": ws.artifact], modelBase: ws.model))
        #expect(run.status == 0, "\(run.events.suffix(3))")
        let metrics = try JSONDecoder().decode(
            StageKit.JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: ws.output("dapt") + "/metrics.json")))
        return (ws, metrics)
    }

    func close(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-3) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= tolerance * max(abs(a), abs(b))
    }

    @Test func theTrainedModelAndTheBaseAreScoredOnTheSameMasks() async throws {
        let (ws, metrics) = try await trained()
        let upstream = ["tokenize": ws.artifact, "dapt": ws.output("dapt")]
        let outcome = try await ws.run(
            EvaluateWorkspace.evaluate,
            try ws.request("eval", stage: "evaluate", params: Self.evaluate, upstream: upstream, modelBase: ws.model))
        #expect(outcome.status == 0, "\(outcome.events.suffix(3))")
        let out = ws.output("eval")
        let report = try Report.read(contentsOf: URL(fileURLWithPath: out + "/report.json"))
        #expect(report.model == "dapt" && report.baseModel == "model" && report.run == "eval")
        #expect(report.tasks.map(\.name) == ["corpus", "general"])
        #expect(report.tasks.allSatisfy { $0.kind == .languageModeling && $0.split == "validation" && $0.rows == 12 })

        // The domain-pretrain stage's own numbers, from the same rows and masks in batches of 4 (here 5).
        let expected: [(String, String)] = [("corpus", "perplexity"), ("general", "general_perplexity")]
        for (task, (name, key)) in zip(report.tasks, expected) {
            #expect(task.name == name)
            let value = try #require(task.headlineResult)
            #expect(close(value.value, metrics[key]?["after"]?.doubleValue), "\(name): \(value.value) vs \(metrics)")
            let interval = try #require(value.interval)
            #expect(interval.lower < value.value && value.value < interval.upper && interval.resamples == 200)
            let base = try #require(task.baselines.first)
            #expect(base.baseline == "base" && base.metric == "perplexity")
            #expect(
                close(base.value, metrics[key]?["before"]?.doubleValue), "\(name) base: \(base.value) vs \(metrics)")
            #expect(abs(base.delta - (value.value - base.value)) < 1e-9)
            let delta = try #require(base.deltaInterval)
            #expect(delta.lower <= base.delta && base.delta <= delta.upper)
            #expect((base.pValue ?? 0) > 0 && (base.pValue ?? 2) <= 1)
        }
        // Training on the domain lowers its perplexity well below the base's, surely at 12 rows.
        #expect(report.tasks[0].baselines[0].delta < 0 && (report.tasks[0].baselines[0].deltaInterval?.upper ?? 0) < 0)
        #expect(report.perplexity.map(\.kind) == [.domain, .general])
        #expect(report.perplexity.map(\.corpus) == ["corpus", "general"])
        #expect(close(report.perplexity[0].before, metrics["perplexity"]?["before"]?.doubleValue))
        #expect(report.perplexity[0].tokens > 0)

        // The training curve of the upstream artifact: one loss per step, the held-out perplexity per evaluation.
        let curves = report.tasks[0].curves
        #expect(curves.map(\.metric) == ["loss", "learning_rate", "perplexity"])
        #expect(curves[0].points.count == metrics["total_steps"]?.intValue)
        #expect(curves[2].split == "validation" && curves[2].points.count == metrics["evaluations"]?.arrayValue?.count)
        #expect(report.tasks[1].curves.isEmpty)

        // The page is the renderer's, of this report.
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html == HTMLReportRenderer.render(report))
        #expect(html.contains("<svg") && html.contains("Perplexity"))

        // Same inputs (and run id), same bytes.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))
        let again = try await ws.run(
            EvaluateWorkspace.evaluate,
            try ws.request("eval", stage: "evaluate", params: Self.evaluate, upstream: upstream, modelBase: ws.model))
        #expect(again.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")) == bytes)
    }

    @Test func theBaseModelAloneIsScoredWithTheHeadItWasMeasuredWith() async throws {
        let (ws, metrics) = try await trained()
        let params: StageKit.JSONValue = ["corpus": "corpus", "model": "base", "rows": 12, "resamples": 50]
        // Without the domain-pretrain artifact the base (no MLM head) cannot be scored: said, not guessed.
        let alone = try await ws.run(
            EvaluateWorkspace.evaluate,
            try ws.request(
                "alone", stage: "evaluate", params: params, upstream: ["tokenize": ws.artifact], modelBase: ws.model))
        #expect(alone.status == 1)
        #expect(
            alone.error?.hasPrefix(ws.model + "/model.safetensors: the model has no masked-LM head") == true,
            "\(alone.error ?? "")")

        let upstream = ["tokenize": ws.artifact, "dapt": ws.output("dapt")]
        let outcome = try await ws.run(
            EvaluateWorkspace.evaluate,
            try ws.request("base", stage: "evaluate", params: params, upstream: upstream, modelBase: ws.model))
        #expect(outcome.status == 0, "\(outcome.events.suffix(3))")
        let report = try Report.read(contentsOf: URL(fileURLWithPath: ws.output("base") + "/report.json"))
        #expect(report.model == "base" && report.tasks.count == 1 && report.perplexity.isEmpty)
        #expect(report.tasks[0].baselines.isEmpty && report.notice != nil)
        #expect(close(report.tasks[0].headlineResult?.value, metrics["perplexity"]?["before"]?.doubleValue))
    }

    @Test func mistakesAreExplained() async throws {
        let ws = try EvaluateWorkspace()
        try ws.write("dapt/output/config.json", EvaluateWorkspace.config)
        try ws.write("dapt/output/model.safetensors", "")
        let upstream = ["tokenize": ws.artifact]
        let cases: [(StageKit.JSONValue, String)] = [
            (
                ["corpus": "corpus", "split": "test"],
                "corpus: input 'corpus' has no 'test' split (splits: train, validation; hint: give the tokenize stage"
            ),
            (["corpus": "corpus", "model": "dapt"], "model: 'dapt' is not an upstream stage of this stage"),
            (
                ["corpus": "legal"],
                "corpus: error: no upstream tokenize artifact has an input 'legal'; inputs found: tokenize.corpus, tokenize.general"
            ),
            (["corpus": "corpus", "general": "corpus"], "general: 'corpus' is the domain corpus itself"),
        ]
        for (i, (params, message)) in cases.enumerated() {
            let outcome = try await ws.run(
                EvaluateWorkspace.evaluate,
                try ws.request("m\(i)", stage: "evaluate", params: params, upstream: upstream, modelBase: ws.model))
            #expect(outcome.status == 1)
            #expect(outcome.error?.hasPrefix(message) == true, "\(outcome.error ?? "no error")")
        }
        // A corrupt model file in the evaluated artifact is a located error, not a trap.
        let broken = try await ws.run(
            EvaluateWorkspace.evaluate,
            try ws.request(
                "broken", stage: "evaluate", params: ["corpus": "corpus"],
                upstream: ["tokenize": ws.artifact, "dapt": ws.root + "/dapt/output"], modelBase: ws.model))
        #expect(broken.status == 1)
        #expect(broken.error?.contains(ws.root + "/dapt/output") == true, "\(broken.error ?? "")")
    }
}
