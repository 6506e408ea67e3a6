import Datasets
import Foundation
import StageKit
import Tokenizers

/// The `tokenize` stage: turns the pipeline's data inputs into token-id shards and a JSON index for the
/// training stages (docs/token-shards.md), with the model's tokenizer or one it trains.
@main
struct TokenizePlugin: StagePlugin {
    static let description = PluginDescription(
        name: "tokenize", version: "1.1.0",
        summary: "Tokenizes data inputs into token-id shards (tokens/<input>/<split>.bin) and index.json.",
        params: ParamSchema([
            ParamSpec(
                "max_length", .integer(minimum: 4, maximum: 1 << 20), default: 128,
                summary:
                    "tokens per sequence, special tokens included: rows are truncated to it, corpora packed into it"),
            ParamSpec(
                "splits",
                .object([
                    ParamSpec(
                        "from", .oneOf(["auto", "files", "fractions"]), default: "auto",
                        summary: "auto: files named train/validation/test keep their split, else fractions"),
                    ParamSpec("train", .number(minimum: 0, maximum: 1), default: 0.8),
                    ParamSpec("validation", .number(minimum: 0, maximum: 1), default: 0.1),
                    ParamSpec("test", .number(minimum: 0, maximum: 1), default: 0.1),
                ]), default: [:],
                summary:
                    "how rows are assigned to train/validation/test (seeded by the pipeline's seed, stratified by label)"
            ),
            ParamSpec(
                "tokenizer",
                .object([
                    ParamSpec(
                        "source", .oneOf(["model", "train-bpe"]), default: "model",
                        summary:
                            "model: the pipeline model's tokenizer.json; train-bpe: train a byte-level BPE on the train splits"
                    ),
                    ParamSpec(
                        "vocab_size", .integer(minimum: 300, maximum: 1 << 20), summary: "train-bpe (default 8192)"),
                    ParamSpec("min_frequency", .integer(minimum: 1), summary: "train-bpe (default 2)"),
                    ParamSpec(
                        "special_tokens", .array(.string),
                        summary: "train-bpe, ids 0.. (default <s>, <pad>, </s>, <unk>, <mask>)"),
                    ParamSpec("add_prefix_space", .boolean, summary: "train-bpe (default false)"),
                ]), default: [:],
                summary: "the model's tokenizer.json (source: model), or a byte-level BPE trained on the train splits"),
            ParamSpec(
                "text_unit", .oneOf(["line", "paragraph", "file"]), default: "paragraph",
                summary: "what one record of a text input is: paragraph = a run of non-blank lines (a document)"),
            ParamSpec(
                "pack", .oneOf(["text", "all", "none"]), default: "text",
                summary: "inputs packed into max_length blocks (MLM/CLM corpora): text inputs, all, or none"),
            ParamSpec(
                "labels", .map(.oneOf(["auto", "class", "number"])),
                summary:
                    "per input: class labels (vocabulary indices) or numbers; auto: numbers only if some is fractional"),
        ]),
        consumes: "data inputs (jsonl, csv, tsv, text); the model's tokenizer.json unless it trains one",
        produces: "tokens/<input>/<split>.bin (token shards), index.json, tokenizer.json",
        modelFiles: ["tokenizer.json", "tokenizer_config.json", "*.gguf"])

    func run(_ request: RunRequest, context: StageContext) async throws {
        let began = Date()
        guard !request.data.isEmpty else {
            throw StageFailure("the tokenize stage has no data inputs (hint: list them in the stage's 'inputs:')")
        }
        let options = try TokenizeOptions(request.params, inputs: Set(request.data.keys))
        let threads = request.threads >= 2 ? 2 : 1
        for name in options.labelKinds.keys.sorted() {
            let input = request.data[name]!
            if input.fields["label"] == nil {
                throw StageFailure(
                    "labels.\(name): data input '\(name)' names no label field (hint: add 'label: <field>' to it)")
            }
            if options.packs(format: input.format) {
                throw StageFailure("labels.\(name): data input '\(name)' is packed into blocks, which keep no labels")
            }
        }

        let reader = InputReader(options: options, seed: request.seed, context: context)
        let inputs = try reader.loadAll(request.data, threads: threads)

        let source = try TokenizerSource.load(
            options: options, modelBase: request.modelBase, inputs: inputs, threads: threads)
        let out = request.outputDir
        try writeOutput(Data(source.bytes), to: out + "/tokenizer.json")
        context.log("tokenizer \(source.description), sha256 \(source.sha256)")
        if let limit = source.modelMaxLength, options.maxLength > limit {
            context.log(
                "max_length \(options.maxLength) exceeds the model's model_max_length \(limit) "
                    + "(tokenizer_config.json): a model with \(limit) positions cannot take these sequences",
                level: .warning)
        }

        let encoder = SequenceEncoder(tokenizer: source.tokenizer, maxLength: options.maxLength, threads: threads)
        let writer = ShardSetWriter(
            outputDir: out, encoder: encoder, tokenWidth: source.idLimit <= 1 << 16 ? 2 : 4, options: options,
            context: context)
        let encodeBegan = Date()
        var indexInputs: [String: JSONValue] = [:]
        var totals = SplitStatistics()
        var summaries: [String: JSONValue] = [:]
        for input in inputs {
            let (entry, stats) = try writer.write(input)
            indexInputs[input.name] = entry
            let rows = stats.reduce(0) { $0 + $1.records }, tokens = stats.reduce(0) { $0 + $1.tokens }
            let truncated = stats.reduce(0) { $0 + $1.truncated }, sequences = stats.reduce(0) { $0 + $1.sequences }
            totals.records += rows
            totals.tokens += tokens
            totals.truncated += truncated
            totals.sequences += sequences
            context.metric("rows", Double(rows), task: input.name)
            context.metric("tokens", Double(tokens), task: input.name)
            context.metric("truncated", Double(truncated), task: input.name)
            context.metric("skipped", Double(input.skipped), task: input.name)
            summaries[input.name] = [
                "rows": .int(rows), "sequences": .int(sequences), "tokens": .int(tokens), "truncated": .int(truncated),
                "skipped": .int(input.skipped),
            ]
        }
        let encodeSeconds = Date().timeIntervalSince(encodeBegan)

        let index: JSONValue = [
            "format": .int(1),
            "max_length": .int(options.maxLength),
            "seed": .int(request.seed),
            "tokenizer": source.indexEntry,
            "token_width": .int(writer.tokenWidth),
            "inputs": .object(indexInputs),
        ]
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeOutput(try json.encode(index) + Data("\n".utf8), to: out + "/index.json")

        let seconds = Date().timeIntervalSince(began)
        let rate = { (n: Int) -> Double in encodeSeconds > 0 ? (Double(n) / encodeSeconds).rounded() : 0 }
        context.metric("rows", Double(totals.records))
        context.metric("tokens", Double(totals.tokens))
        context.metric("truncated", Double(totals.truncated))
        context.metric("rows_per_second", rate(totals.records))
        context.metric("tokens_per_second", rate(totals.tokens))
        context.log(
            "\(totals.records) records → \(totals.sequences) sequences, \(totals.tokens) tokens (\(totals.truncated) truncated) "
                + "in \(String(format: "%.2f", seconds)) s; encoding \(Int(rate(totals.records))) records/s, "
                + "\(Int(rate(totals.tokens))) tokens/s on \(threads) thread(s)")
        context.result([
            "inputs": .object(summaries), "tokens": .int(totals.tokens), "rows": .int(totals.records),
            "truncated": .int(totals.truncated), "tokenizer_sha256": .string(source.sha256),
            "seconds": .double((seconds * 1000).rounded() / 1000),
            "encode_seconds": .double((encodeSeconds * 1000).rounded() / 1000),
            "rows_per_second": .double(rate(totals.records)), "tokens_per_second": .double(rate(totals.tokens)),
            "threads": .int(threads),
        ])
    }
}

/// Writes a file of the artifact (the output directory starts empty; folders are created as needed).
func writeOutput(_ data: Data, to path: String) throws {
    do {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    } catch {
        throw StageFailure("\(path): cannot write: \(error.localizedDescription)")
    }
}
