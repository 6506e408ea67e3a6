import Datasets
import Foundation
import Metrics
import Report
import StageKit
import Tensor
import Training

/// The `evaluate` stage: scores a model artifact in HF layout (a domain-pretrain stage's, or model.base itself)
/// on the held-out rows of LM corpora from a tokenize stage — masked-LM perplexity with fixed seeded masks for an
/// encoder, causal-LM perplexity for a decoder — against the pipeline's base model on the same rows and masks,
/// with bootstrap intervals over rows and a paired test; writes `report.json` and `report.html`
/// (docs/evaluate.md).
@main
struct EvaluatePlugin: StagePlugin {
    static let description = PluginDescription(
        name: "evaluate", version: "1.0.0",
        summary:
            "Held-out MLM/CLM perplexity of a model and the base model (bootstrap intervals); report.json, report.html.",
        params: EvaluateOptions.schema,
        consumes:
            "a tokenize artifact with packed corpora (corpus:, general:); an upstream model artifact (HF layout); model.base",
        produces: "report.json (docs/report.md), report.html",
        modelFiles: ["config.json", "model.safetensors", "tokenizer.json"])

    func run(_ request: RunRequest, context: StageContext) async throws {
        do {
            try evaluate(request, context: context)
        } catch let error as TrainingError {
            throw StageFailure(error.description)
        } catch is TrainingStopped {
            throw StageStopped()
        } catch let error as MetricsError {
            throw StageFailure("bootstrap: \(error)")
        }
    }

    func evaluate(_ request: RunRequest, context: StageContext) throws {
        let options = try EvaluateOptions(request.params)
        let threads = max(1, min(request.threads, ProcessInfo.processInfo.activeProcessorCount))
        Parallel.setThreads(threads)
        // Every input is opened and checked before the first kernel runs: the corpora, then the models.
        let corpora =
            [(options.corpus, "corpus", PerplexityComparison.Kind.domain)]
            + (options.general.map { [($0, "general", PerplexityComparison.Kind.general)] } ?? [])
        var inputs:
            [(artifact: CorpusArtifact, kind: PerplexityComparison.Kind, split: String, shard: TokenShardReader)] = []
        for (input, parameter, kind) in corpora {
            let artifact = try CorpusArtifact.load(
                input: input, upstream: request.upstream, parameter: parameter, requireTrain: false)
            let (split, shard) = try Self.split(options.split, of: artifact, parameter: parameter)
            inputs.append((artifact, kind, split, shard))
        }
        let models = try EvaluationModels.load(options: options, request: request)
        if let note = models.baseNote { context.log(note, level: .notice) }
        for (artifact, _, _, shard) in inputs {
            try EvaluationModels.checkTokenizer(directory: models.directory, corpus: artifact)
            if models.base != nil, let base = request.modelBase {
                try EvaluationModels.checkTokenizer(directory: base, corpus: artifact)
            }
            try InputValidation(vocabularySize: models.model.vocabularySize, maxPositions: models.model.maxPositions)
                .check(shard)
            if let base = models.base {
                try InputValidation(vocabularySize: base.vocabularySize, maxPositions: base.maxPositions).check(shard)
            }
        }

        let bootstrap = try Bootstrap(
            resamples: options.resamples, confidence: options.confidence, seed: UInt64(request.seed))
        let curves = try TrainingCurves.read(directory: models.directory)
        var report = Report(
            pipeline: request.pipeline, run: request.runID, model: models.name, baseModel: models.baseName,
            notice: models.baseNote)
        var summary: [String: JSONValue] = [:]
        let passes = inputs.count * (models.base == nil ? 1 : 2)
        var done = 0
        context.progress(0, of: passes, unit: "pass")
        for (artifact, kind, split, shard) in inputs {
            // One builder for both models: the same seed and rows give the same masked positions.
            let builder = try LMBatchBuilder.make(
                model: models.model, corpus: artifact, maskProbability: options.maskProbability,
                wholeWord: options.wholeWord, seed: UInt64(request.seed))
            func score(_ model: LanguageModel, _ who: String) throws -> [RowLoss] {
                let began = Date()
                let rows = try HeldOutPerplexity.rowLosses(
                    model: model, builder: builder, shard: shard, rows: options.rows, batchSize: options.batchSize,
                    shouldStop: { context.stopRequested })
                let (ppl, tokens) = HeldOutPerplexity.perplexity(rows)
                done += 1
                context.progress(done, of: passes, unit: "pass", message: "\(artifact.input) \(split): \(who)")
                context.log(
                    String(
                        format: "%@ on %@/%@: perplexity %.4f over %d rows, %d predicted tokens (%.1f s)", who,
                        artifact.input, split, ppl, rows.count, tokens, Date().timeIntervalSince(began)))
                return rows
            }
            let modelRows = try score(models.model, models.name)
            let baseRows = try models.base.map { try score($0, "base") }
            guard HeldOutPerplexity.perplexity(modelRows).tokens > 0 else {
                throw StageFailure(
                    "\(shard.path): error: no token to predict in the first \(options.rows) rows"
                        + " (hint: more rows, or a higher mask_probability)")
            }
            let scores = CorpusScores(
                corpus: artifact.input, kind: kind, split: split, model: modelRows, base: baseRows)
            let (task, comparison) = try scores.report(bootstrap: bootstrap, curves: kind == .domain ? curves : [])
            report.tasks.append(task)
            if let comparison { report.perplexity.append(comparison) }
            let value = task.headlineResult?.value ?? .nan
            context.metric("perplexity", value, task: artifact.input)
            var entry: [String: JSONValue] = [
                "split": .string(split), "rows": .int(task.rows), "tokens": .int(scores.tokens),
                "perplexity": .double(value),
            ]
            if let b = task.baselines.first {
                context.metric("base_perplexity", b.value, task: artifact.input)
                entry["base_perplexity"] = .double(b.value)
                entry["p_value"] = b.pValue.map { .double($0) } ?? .null
            }
            summary[artifact.input] = .object(entry)
        }

        try report.validate()
        let out = request.outputDir
        try report.jsonData().write(to: URL(fileURLWithPath: out + "/report.json"))
        try Data(HTMLReportRenderer.render(report).utf8).write(to: URL(fileURLWithPath: out + "/report.html"))
        context.result(["model": .string(models.name), "corpora": .object(summary)])
    }

    /// The split to score: the one named, or (auto) validation, else test.
    static func split(_ name: String, of artifact: CorpusArtifact, parameter: String) throws
        -> (String, TokenShardReader)
    {
        for candidate in name == "auto" ? ["validation", "test"] : [name] {
            if let shard = artifact.splits[candidate] { return (candidate, shard) }
        }
        throw StageFailure(
            "\(parameter): input '\(artifact.input)' has no \(name == "auto" ? "validation or test" : "'\(name)'") split "
                + "(splits: \(artifact.splits.keys.sorted().joined(separator: ", ")); hint: give the tokenize stage "
                + "'splits: { train: 0.9, validation: 0.1, test: 0 }')")
    }
}
