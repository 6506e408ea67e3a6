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
        name: "evaluate", version: "1.1.0",
        summary:
            "Task metrics of a multitask artifact against baselines, held-out MLM/CLM perplexity against the base model "
            + "(bootstrap intervals, paired tests); report.json, report.html, predictions/<task>.jsonl.",
        params: EvaluateOptions.schema,
        consumes:
            "a tokenize artifact (labelled task inputs; packed corpora for corpus:, general:); upstream multitask or "
            + "domain-pretrain artifacts; model.base",
        produces: "report.json (docs/report.md), report.html, predictions/<task>.jsonl",
        modelFiles: [
            "config.json", "model.safetensors", "tokenizer.json", MultitaskArtifact.configName,
            MultitaskArtifact.weightsName,
        ])

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
        let multitask = try MultitaskEvaluation.load(options: options, request: request)
        guard multitask != nil || !options.corpus.isEmpty else {
            throw StageFailure(
                "evaluate: nothing to evaluate: name 'corpus:' (perplexity) or put a multitask-finetune stage in "
                    + "'after:' (task metrics)")
        }
        let bootstrap = try Bootstrap(
            resamples: options.resamples, confidence: options.confidence, seed: UInt64(request.seed))
        let baseName = request.modelBase.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }
        var report = Report(pipeline: request.pipeline, run: request.runID, model: multitask?.evaluated.name ?? "")
        var summary: [String: JSONValue] = [:]
        var notes: [String] = []
        if !options.corpus.isEmpty {
            let lm = try LanguageModelEvaluation(options: options, request: request)
            report.model = multitask?.evaluated.name ?? lm.models.name
            report.baseModel = lm.models.baseName
            if let note = lm.models.baseNote { notes.append(note) }
            if multitask != nil { notes.append("the perplexity rows are of model '\(lm.models.name)'") }
            let corpora = try lm.run(context: context, bootstrap: bootstrap, report: &report)
            summary["model"] = .string(lm.models.name)
            summary["corpora"] = .object(corpora)
        } else {
            report.baseModel = baseName
        }
        if let multitask {
            let outcome = try multitask.run(options: options, request: request, context: context, bootstrap: bootstrap)
            for note in outcome.notes { context.log(note, level: .notice) }
            notes += outcome.notes
            report.tasks += outcome.tasks
            report.gateWeights = outcome.gateWeights
            report.gradientConflict = outcome.gradientConflict
            summary["multitask"] = .string(multitask.evaluated.name)
            summary["tasks"] = .object(outcome.summary)
        }
        report.notice = notes.isEmpty ? nil : notes.joined(separator: "; ")

        try report.validate()
        let out = request.outputDir
        try report.jsonData().write(to: URL(fileURLWithPath: out + "/report.json"))
        try Data(HTMLReportRenderer.render(report).utf8).write(to: URL(fileURLWithPath: out + "/report.html"))
        context.result(.object(summary))
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
