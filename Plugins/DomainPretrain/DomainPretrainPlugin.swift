import Crypto
import Datasets
import Foundation
import Models
import NN
import StageKit
import Tensor
import Training

/// The `domain-pretrain` stage: continued masked-LM (encoders) or causal-LM (decoders) pretraining of the
/// pipeline's model on a packed corpus from a tokenize stage, checkpointed and resumable, with held-out
/// perplexity before and after on the corpus and on a general corpus (docs/domain-pretrain.md).
@main
struct DomainPretrainPlugin: StagePlugin {
    static let description = PluginDescription(
        name: "domain-pretrain", version: "1.0.0",
        summary: "Continued MLM/CLM pretraining on a packed corpus; held-out perplexity before/after; HF-layout model.",
        params: DomainPretrainOptions.schema,
        consumes:
            "a tokenize artifact with packed corpora (corpus:, general:); model.base (bert, gpt2 or llama in HF "
            + "layout, or a folder with one Llama .gguf file)",
        produces:
            "config.json, model.safetensors (HF names), tokenizer.json, metrics.json, curve.jsonl; with lora: "
            + "adapter/ (PEFT)",
        modelFiles: ["config.json", "model.safetensors", "tokenizer.json", "*.gguf"])

    func run(_ request: RunRequest, context: StageContext) async throws {
        do {
            try await train(request, context: context)
        } catch let error as TrainingError {
            throw StageFailure(error.description)
        }
    }

    func train(_ request: RunRequest, context: StageContext) async throws {
        let options = try DomainPretrainOptions(request.params)
        let threads = max(1, min(request.threads, ProcessInfo.processInfo.activeProcessorCount))
        Parallel.setThreads(threads)
        guard let base = request.modelBase else {
            throw StageFailure("domain-pretrain needs the pipeline's model.base (an HF model folder)")
        }
        let model = try LanguageModel.load(directory: base)
        switch (options.objective, model.isCausal) {
        case (.clm, false): throw StageFailure("objective: clm needs a decoder; \(base) is an encoder (bert)")
        case (.mlm, true): throw StageFailure("objective: mlm needs an encoder; \(base) is a decoder (gpt2, llama)")
        default: break
        }
        var loraContext: ContextSource?
        if let lora = options.lora {
            let source = ContextSource()
            var ini = Initializer(seed: UInt64(request.seed) &+ 0x10_4A)
            do {
                let wrapped = try model.module.applyLoRA(lora, initializer: &ini, context: source)
                context.log("LoRA r=\(lora.rank) alpha=\(lora.alpha) on \(wrapped.count) projections")
            } catch { throw StageFailure("lora: \(error)") }
            loraContext = source
        }
        let corpus = try CorpusArtifact.load(input: options.corpus, upstream: request.upstream, parameter: "corpus")
        let general = try options.general.map {
            try CorpusArtifact.load(input: $0, upstream: request.upstream, parameter: "general", requireTrain: false)
        }

        // Everything is checked before the first kernel runs. A GGUF folder's tokenizer is its metadata's, as the
        // tokenize stage wrote it.
        let gguf = try GGUFFolder.modelFile(in: base)
        let modelTokenizer = gguf ?? base + "/tokenizer.json"
        let tokenizerBytes = try gguf.map { try GGUFFolder.tokenizerJSON(ofFile: $0) }
        if let bytes = try tokenizerBytes ?? ModelFile.read(modelTokenizer, maxBytes: ModelFile.tokenizerLimit) {
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            for artifact in [corpus] + (general.map { [$0] } ?? []) {
                try InputValidation.checkTokenizer(
                    shardDigest: artifact.tokenizerSHA256, modelDigest: digest, index: artifact.indexPath,
                    model: modelTokenizer)
            }
        } else {
            context.log("\(modelTokenizer) not found: token ids are checked against the vocabulary only", level: .warning)
        }
        let validation = InputValidation(vocabularySize: model.vocabularySize, maxPositions: model.maxPositions)
        for artifact in [corpus] + (general.map { [$0] } ?? []) {
            for (_, shard) in artifact.splits.sorted(by: { $0.key < $1.key }) { try validation.check(shard) }
        }
        guard let train = corpus.splits["train"], train.count > 0 else {
            throw StageFailure("corpus: the train split of input '\(corpus.input)' has no sequences")
        }
        guard (corpus.heldOut?.count ?? 0) > 0 else {
            throw StageFailure(
                "corpus: input '\(corpus.input)' has no validation or test split to measure perplexity on "
                    + "(hint: give the tokenize stage 'splits: { train: 0.9, validation: 0.1, test: 0 }')")
        }
        if let general, (general.heldOut?.count ?? 0) == 0 {
            throw StageFailure("general: input '\(general.input)' has no validation or test split")
        }

        let data = try LMBatchBuilder.make(
            model: model, corpus: corpus, maskProbability: options.maskProbability, wholeWord: options.wholeWord,
            seed: UInt64(request.seed))
        let run = PretrainRun(
            options: options, model: model, corpus: corpus, trainSplit: train, general: general, data: data,
            seed: UInt64(request.seed), scratch: request.scratchDir, context: context, loraContext: loraContext)
        context.log("\(threads) thread(s), OpenBLAS core \(BLAS.coreName)")
        let began = Date()
        do {
            try run.train()
        } catch is TrainingStopped {
            throw StageStopped()
        }
        let out = request.outputDir
        // The "after" numbers and the parameter counts first: merging folds the LoRA away.
        let summary = try run.finish(outputDir: out, wallSeconds: Date().timeIntervalSince(began), threads: threads)
        if let lora = options.lora {
            // The adapter as PEFT loads it (LlamaForCausalLM keys: base_model.model.model.layers.N…), then merged.
            try PEFTLoRAFiles.writeConfiguration(
                lora, baseModel: (base as NSString).lastPathComponent, taskType: "CAUSAL_LM",
                fanInFanOut: { if case .causal = model { return true } else { return false } }(),  // GPT-2's Conv1D
                directory: out + "/adapter")
            try PEFTLoRAFiles.writeWeights(of: model.module, directory: out + "/adapter")
            try model.module.mergeLoRA()
        }
        try model.export(to: out, baseConfig: base + "/config.json")
        try FileManager.default.copyItem(atPath: corpus.tokenizerPath, toPath: out + "/tokenizer.json")
        context.result(summary)
    }
}
