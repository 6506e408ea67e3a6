import Crypto
import Datasets
import Foundation
import Models
import NN
import StageKit
import Tensor
import Training

/// The `multitask-finetune` stage: one trunk — a BERT encoder or a Llama decoder (the pipeline's model or an
/// upstream domain-pretrain stage's)
/// fine-tuned on several tasks of a tokenize artifact at once — task heads, task sampling, loss weighting,
/// PCGrad, LoRA or bottleneck adapters, Customized Gate Control experts, a DANN domain classifier — validated
/// every N steps, the best weights kept, checkpointed and resumable (docs/multitask.md).
@main
struct MultitaskFinetunePlugin: StagePlugin {
    static let description = PluginDescription(
        name: "multitask-finetune", version: "1.0.0",
        summary: "Multitask fine-tuning: shared trunk, task heads, sampling, loss weighting, LoRA/adapters, CGC experts.",
        params: MultitaskOptions.schema,
        consumes: "a tokenize artifact with one labelled input per task; optionally a domain-pretrain artifact (trunk); "
            + "model.base (bert or llama, HF layout; or a folder with one .gguf file)",
        produces: "config.json, model.safetensors (trunk, LoRA merged), tokenizer.json, multitask.json, "
            + "multitask.safetensors, peft/ (or peft/<task>/) or adapters/default/ (or adapters/<task>/), metrics.json, curve.jsonl",
        modelFiles: ["config.json", "model.safetensors", "tokenizer.json"])

    func run(_ request: RunRequest, context: StageContext) async throws {
        do {
            try await train(request, context: context)
        } catch let error as TrainingError {
            throw StageFailure(error.description)
        } catch let error as PEFTError {
            throw StageFailure(error.description)
        } catch let error as ModelError {
            throw StageFailure(error.description)
        }
    }

    /// The folder the trunk comes from (see the `trunk` key).
    static func trunkDirectory(_ choice: String, request: RunRequest) throws -> String {
        let fm = FileManager.default
        func isModel(_ dir: String) -> Bool {
            fm.fileExists(atPath: dir + "/model.safetensors") && fm.fileExists(atPath: dir + "/config.json")
        }
        let base = request.modelBase
        switch choice {
        case "base":
            guard let base else { throw StageFailure("trunk: base, but the pipeline has no model.base") }
            return base
        case "auto":
            let models = request.upstream.filter { isModel($0.value) }.sorted { $0.key < $1.key }
            if models.count > 1 {
                throw StageFailure(
                    "trunk: several upstream stages have a model (\(models.map(\.key).joined(separator: ", "))); "
                        + "name one (trunk: <stage>) or 'base'")
            }
            if let only = models.first { return only.value }
            guard let base else {
                throw StageFailure("trunk: no upstream stage has a model and the pipeline has no model.base")
            }
            return base
        default:
            guard let dir = request.upstream[choice] else {
                throw StageFailure(
                    "trunk: '\(choice)' is not an upstream stage (after: \(request.upstream.keys.sorted().joined(separator: ", ")))")
            }
            guard isModel(dir) else { throw StageFailure("trunk: stage '\(choice)' wrote no config.json + model.safetensors") }
            return dir
        }
    }

    /// The options that depend on the trunk: the default pooling and LoRA targets filled in, and what the trunk
    /// cannot have rejected with the key to change.
    static func check(_ options: inout MultitaskOptions, fitting trunk: any MultitaskTrunk) throws {
        let kind = trunk.trunkKind
        if let p = options.pooling, !kind.poolings.contains(p) {
            throw StageFailure(
                "pooling: '\(p.rawValue)' does not fit a \(kind.rawValue) trunk (model_type \(trunk.modelType)); use "
                    + kind.poolings.map(\.rawValue).joined(separator: " or ") + " (or auto)")
        }
        options.pooling = options.pooling ?? (kind == .encoder ? .mean : .lastToken)
        if options.lora.targetModules.isEmpty { options.lora.targetModules = trunk.projectionNames }
        if options.method == .adapters, kind != .encoder {
            throw StageFailure(
                "peft.method: adapters (bottleneck adapters after BERT's output projections) are offered for an "
                    + "encoder trunk only; the trunk is model_type \(trunk.modelType) (use method: lora)")
        }
    }

    func train(_ request: RunRequest, context: StageContext) async throws {
        var options = try MultitaskOptions(request.params)
        let threads = max(1, min(request.threads, ProcessInfo.processInfo.activeProcessorCount))
        Parallel.setThreads(threads)
        let seed = UInt64(options.seed ?? request.seed)
        let trunkDir = try Self.trunkDirectory(options.trunk, request: request)
        let trunk = try MultitaskTrunkLoader.load(directory: trunkDir)
        try Self.check(&options, fitting: trunk)

        // Every input is found and checked before the first kernel runs.
        var tasks: [TaskData] = []
        for (k, t) in options.tasks.enumerated() {
            let key = "tasks.\(t.name).input"
            let artifact = try CorpusArtifact.load(input: t.input, upstream: request.upstream, parameter: key)
            guard let train = artifact.splits["train"], train.count > 0 else {
                throw StageFailure("\(key): the train split of input '\(t.input)' has no rows")
            }
            guard let heldOut = artifact.heldOut, heldOut.count > 0 else {
                throw StageFailure(
                    "\(key): input '\(t.input)' has no validation or test split to validate on "
                        + "(hint: give the tokenize stage 'splits: { train: 0.8, validation: 0.1, test: 0.1 }')")
            }
            var labels = 0
            var names: [String]?
            if t.kind != .regression {
                guard let vocabulary = artifact.labelVocabulary, vocabulary.count >= 2 else {
                    throw StageFailure(
                        "\(key): input '\(t.input)' has \(artifact.labelVocabulary?.count ?? 0) class labels in "
                            + "\(artifact.indexPath); a classifier needs 2 or more (hint: map the data entry's label, "
                            + "or make the task kind: regression)")
                }
                labels = vocabulary.count
                names = vocabulary
            }
            let spec = TaskSpec(name: t.name, kind: t.kind.head, labels: labels, labelNames: names)
            let pad = try artifact.padID(vocabularies: [trunk.vocabularySize])
            let batcher = TaskBatcher(task: k, spec: spec, padID: pad)
            if t.kind == .pair, !train.contents.contains(.pairs) {
                throw StageFailure("\(key): kind pair, but input '\(t.input)' has one text per row (map text_pair)")
            }
            tasks.append(
                TaskData(options: t, spec: spec, artifact: artifact, train: train, heldOut: heldOut, batcher: batcher))
        }
        var domains: [(artifact: CorpusArtifact, shard: TokenShardReader)] = []
        for input in options.adversarial?.inputs ?? [] {
            let artifact = try CorpusArtifact.load(
                input: input, upstream: request.upstream, parameter: "domain_adversarial.inputs")
            guard let train = artifact.splits["train"], train.count > 0 else {
                throw StageFailure("domain_adversarial.inputs: input '\(input)' has no train rows")
            }
            domains.append((artifact, train))
        }
        let artifacts = tasks.map(\.artifact) + domains.map(\.artifact)
        var modelTokenizer = trunkDir + "/tokenizer.json"
        var tokenizerBytes = try ModelFile.read(modelTokenizer, maxBytes: ModelFile.tokenizerLimit)
        if let gguf = try GGUFFolder.modelFile(in: trunkDir) {
            // A GGUF folder's tokenizer is its metadata's, as the tokenize stage derived it.
            modelTokenizer = gguf
            tokenizerBytes = try GGUFFolder.tokenizerJSON(ofFile: gguf)
        }
        if let bytes = tokenizerBytes {
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            for a in artifacts {
                try InputValidation.checkTokenizer(
                    shardDigest: a.tokenizerSHA256, modelDigest: digest, index: a.indexPath, model: modelTokenizer)
            }
        } else {
            context.log("\(modelTokenizer) not found: token ids are checked against the vocabulary only", level: .warning)
        }
        for t in tasks {
            let validation = InputValidation(
                vocabularySize: trunk.vocabularySize, maxPositions: trunk.maxPositions,
                classes: t.spec.kind == .regression ? nil : t.spec.labels)
            for (_, shard) in t.artifact.splits.sorted(by: { $0.key < $1.key }) {
                try t.batcher.check(shard)
                try validation.check(shard)
            }
        }
        for d in domains {
            try InputValidation(vocabularySize: trunk.vocabularySize, maxPositions: trunk.maxPositions).check(d.shard)
        }

        // PEFT on the trunk, then the multitask model over it.
        var ini = Initializer(seed: seed &+ 17)
        let contextSource = ContextSource()
        let selector = TaskSelector()
        var trainablePatterns: [String] = []
        let own = ["heads.*", "cgc.*", "domain_classifier.*", "loss_weighting.*"]
        switch options.method {
        case .none: break
        case .lora:
            if options.perTask {
                try trunk.applyTaskLoRA(
                    options.lora, tasks: tasks.map(\.spec.name), initializer: &ini, context: contextSource,
                    selector: selector)
            } else {
                try trunk.applyLoRA(options.lora, initializer: &ini, context: contextSource)
            }
            trainablePatterns = ["*.lora_*"] + own
        case .adapters:
            if options.perTask {
                // The shared trunk, LayerNorms included, stays frozen: each task trains its own adapters only.
                try trunk.addTaskBottleneckAdapters(
                    options.adapters, tasks: tasks.map(\.spec.name), initializer: &ini, selector: selector)
                trainablePatterns = ["*.adapters.*"] + own
            } else {
                try trunk.addBottleneckAdapters(options.adapters, initializer: &ini)
                trainablePatterns = ["*.adapters.*", "*LayerNorm*"] + own
            }
        }
        let model = try MultitaskModel(
            trunk: trunk, tasks: tasks.map(\.spec), pooling: options.pooling, experts: options.experts,
            domains: domains.isEmpty ? 0 : 2, headDropout: options.headDropout, seed: seed &+ 29)
        model.contextSource = contextSource
        if options.method != .none && options.perTask { model.taskSelector = selector }

        let run = try MultitaskRun(
            options: options, model: model, tasks: tasks, domains: domains, trainablePatterns: trainablePatterns,
            seed: seed, scratch: request.scratchDir, context: context)
        context.log("\(threads) thread(s), OpenBLAS core \(BLAS.coreName); trunk from \(trunkDir)")
        let began = Date()
        do {
            try run.train()
        } catch is TrainingStopped {
            throw StageStopped()
        }
        let test = options.scoreTest ? try run.testScores() : nil
        let summary = try MultitaskExport.write(
            run: run, testScores: test, trunkDirectory: trunkDir, tokenizer: tasks[0].artifact.tokenizerPath,
            outputDir: request.outputDir, wallSeconds: Date().timeIntervalSince(began), threads: threads)
        context.result(summary)
    }
}
