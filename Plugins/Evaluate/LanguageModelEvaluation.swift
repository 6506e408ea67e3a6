import Datasets
import Foundation
import Metrics
import Report
import StageKit
import Training

/// The perplexity part of the evaluate stage: the evaluated language model and the base model on the held-out
/// rows of the domain corpus (and of a general-English corpus), with the same masks for both.
struct LanguageModelEvaluation {
    let options: EvaluateOptions
    let models: EvaluationModels
    let inputs: [(artifact: CorpusArtifact, kind: PerplexityComparison.Kind, split: String, shard: TokenShardReader)]
    let directory: String

    /// Opens and checks the corpora and the models before the first kernel runs.
    init(options: EvaluateOptions, request: RunRequest) throws {
        self.options = options
        let corpora =
            [(options.corpus, "corpus", PerplexityComparison.Kind.domain)]
            + (options.general.map { [($0, "general", PerplexityComparison.Kind.general)] } ?? [])
        var inputs: [(CorpusArtifact, PerplexityComparison.Kind, String, TokenShardReader)] = []
        for (input, parameter, kind) in corpora {
            let artifact = try CorpusArtifact.load(
                input: input, upstream: request.upstream, parameter: parameter, requireTrain: false)
            let (split, shard) = try EvaluatePlugin.split(options.split, of: artifact, parameter: parameter)
            inputs.append((artifact, kind, split, shard))
        }
        let models = try EvaluationModels.load(options: options, request: request)
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
        self.models = models
        self.inputs = inputs
        directory = models.directory
    }

    /// Scores both models on every corpus, appends the tasks and the perplexity rows to `report`, and returns the
    /// result summary per corpus.
    func run(context: StageContext, bootstrap: Bootstrap, report: inout Report) throws -> [String: JSONValue] {
        if let note = models.baseNote { context.log(note, level: .notice) }
        let curves = try TrainingCurves.read(directory: models.directory)
        var summary: [String: JSONValue] = [:]
        let passes = inputs.count * (models.base == nil ? 1 : 2)
        var done = 0
        context.progress(0, of: passes, unit: "pass")
        for (artifact, kind, split, shard) in inputs {
            // One builder for both models: the same seed and rows give the same masked positions.
            let builder = try LMBatchBuilder.make(
                model: models.model, corpus: artifact, maskProbability: options.maskProbability,
                wholeWord: options.wholeWord, seed: bootstrap.seed)
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
        return summary
    }
}
