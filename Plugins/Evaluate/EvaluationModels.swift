import Crypto
import Foundation
import Models
import StageKit
import Training

/// The model the stage evaluates and the pipeline's base model it is compared with, loaded and checked.
struct EvaluationModels {
    /// The evaluated model's name in the report: its stage, or `base`.
    let name: String
    /// Its folder (an upstream artifact, or model.base).
    let directory: String
    let model: LanguageModel
    /// The base model, scored on the same rows and masks; nil when it is the evaluated model itself or cannot be
    /// scored (``baseNote`` says why).
    let base: LanguageModel?
    /// The base model's folder name (e.g. `all-MiniLM-L6-v2`).
    let baseName: String?
    let baseNote: String?

    /// The file in which the domain-pretrain stage keeps the MLM head it created and warmed up before its "before"
    /// measurement (docs/domain-pretrain.md): the base trunk with this head is the base model as that stage
    /// measured it.
    static let beforeHeadFile = "before-head.safetensors"

    static func load(options: EvaluateOptions, request: RunRequest) throws -> EvaluationModels {
        let fm = FileManager.default
        func hasModel(_ dir: String) -> Bool {
            fm.fileExists(atPath: dir + "/model.safetensors") && fm.fileExists(atPath: dir + "/config.json")
        }
        // A multitask artifact has a trunk but no language-model head: the task part of the stage evaluates it.
        let withModel = request.upstream.keys.sorted().filter {
            let dir = request.upstream[$0] ?? ""
            return hasModel(dir) && !fm.fileExists(atPath: dir + "/" + MultitaskArtifact.configName)
        }
        let basePath = request.modelBase
        let baseName = basePath.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }

        // Which model is evaluated.
        var name: String
        var directory: String
        switch options.model {
        case "base":
            guard let basePath else { throw StageFailure("model: base, but the pipeline has no model.base") }
            (name, directory) = ("base", basePath)
        case "":
            if withModel.count > 1 {
                throw StageFailure(
                    "model: several upstream stages have a model (\(withModel.joined(separator: ", "))); name the one to evaluate"
                )
            }
            if let stage = withModel.first {
                (name, directory) = (stage, request.upstream[stage] ?? "")
            } else {
                guard let basePath else {
                    throw StageFailure(
                        "evaluate: no upstream stage has a model and the pipeline has no model.base "
                            + "(hint: add the domain-pretrain stage to 'after:')")
                }
                (name, directory) = ("base", basePath)
            }
        default:
            guard let dir = request.upstream[options.model] else {
                throw StageFailure(
                    "model: '\(options.model)' is not an upstream stage of this stage (hint: add it to 'after:'; "
                        + "upstream stages with a model: \(withModel.isEmpty ? "none" : withModel.joined(separator: ", ")))"
                )
            }
            guard hasModel(dir) else {
                throw StageFailure(
                    "model: stage '\(options.model)' has no model (config.json, model.safetensors) in \(dir)")
            }
            (name, directory) = (options.model, dir)
        }
        // A created head's file, from the evaluated artifact or (when the base itself is evaluated) any upstream one.
        let headFiles = ([directory] + withModel.compactMap { request.upstream[$0] }).map { $0 + "/" + beforeHeadFile }
        let headFile = headFiles.first { fm.fileExists(atPath: $0) }

        var model = try LanguageModel.load(directory: directory)
        if name == "base" { model = try withBeforeHead(model, file: headFile, directory: directory) }
        if case .masked(_, true) = model {
            throw StageFailure(
                "\(directory)/model.safetensors: the model has no masked-LM head (cls.predictions.*); its perplexity "
                    + "would be that of a random head (hint: evaluate the domain-pretrain stage's model)")
        }
        guard name != "base" else {
            return EvaluationModels(
                name: name, directory: directory, model: model, base: nil, baseName: baseName,
                baseNote: "the evaluated model is the base model: no comparison")
        }
        guard let basePath else {
            return EvaluationModels(
                name: name, directory: directory, model: model, base: nil, baseName: nil,
                baseNote: "the pipeline has no model.base: no comparison with the base model")
        }
        var base = try LanguageModel.load(directory: basePath)
        if case .masked(_, true) = base {
            guard headFile != nil else {
                return EvaluationModels(
                    name: name, directory: directory, model: model, base: nil, baseName: baseName,
                    baseNote: "the base model has no masked-LM head and '\(name)' kept none (\(beforeHeadFile)): "
                        + "the base model is not scored")
            }
            base = try withBeforeHead(base, file: headFile, directory: basePath)
        }
        var note: String?
        switch (model, base) {
        case (.masked, .causal), (.causal, .masked):
            note = "the base model and '\(name)' are not the same kind of model (encoder, decoder): no comparison"
        default:
            if base.vocabularySize != model.vocabularySize {
                note =
                    "the base model's vocabulary (\(base.vocabularySize)) differs from '\(name)''s (\(model.vocabularySize)): no comparison"
            }
        }
        return EvaluationModels(
            name: name, directory: directory, model: model, base: note == nil ? base : nil, baseName: baseName,
            baseNote: note)
    }

    /// An encoder without a head gets the created head that the domain-pretrain stage measured its "before" with.
    static func withBeforeHead(_ model: LanguageModel, file: String?, directory: String) throws -> LanguageModel {
        guard case .masked(let m, true) = model, let file else { return model }
        do {
            try m.head.load(from: try SafeTensorsFile(path: file), prefix: "cls.")
        } catch {
            throw StageFailure("\(file): \(error)")
        }
        return .masked(m, createdHead: false)
    }

    /// Refuses shards made with another tokenizer than a model's, before any kernel runs.
    static func checkTokenizer(directory: String, corpus: CorpusArtifact) throws {
        let path = directory + "/tokenizer.json"
        guard let bytes = try ModelFile.read(path, maxBytes: ModelFile.tokenizerLimit) else { return }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        try InputValidation.checkTokenizer(
            shardDigest: corpus.tokenizerSHA256, modelDigest: digest, index: corpus.indexPath, model: path)
    }
}
