import Foundation
import Models
import StageKit
import Tokenizers

/// The tokenizer the stage uses: the model's `tokenizer.json`, or a byte-level BPE trained on the inputs'
/// train splits; with its file's bytes (copied into the artifact) and their SHA-256.
struct TokenizerSource {
    let tokenizer: Tokenizer
    let bytes: [UInt8]
    let sha256: String
    /// `model` or `train-bpe`.
    let kind: String
    var trained: [String: JSONValue] = [:]
    /// `model_max_length` of the model's tokenizer_config.json, when it has one.
    var modelMaxLength: Int?

    /// Ids are below this: the shards' token width follows from it.
    var idLimit: Int { max(tokenizer.vocabSize, (tokenizer.addedTokens.map(\.id).max() ?? -1) + 1) }

    var description: String {
        kind == "model"
            ? "from the model (vocabulary \(tokenizer.vocabSize))" : "trained (vocabulary \(tokenizer.vocabSize))"
    }

    var indexEntry: JSONValue {
        var entry: [String: JSONValue] = [
            "file": "tokenizer.json", "sha256": .string(sha256), "source": .string(kind),
            "vocab_size": .int(tokenizer.vocabSize),
            "special_tokens": .object(
                Dictionary(tokenizer.addedTokens.filter(\.special).map { ($0.content, .int($0.id)) }) { a, _ in a }),
        ]
        if !trained.isEmpty { entry["trained"] = .object(trained) }
        if let modelMaxLength { entry["model_max_length"] = .int(modelMaxLength) }
        return .object(entry)
    }

    static func load(options: TokenizeOptions, modelBase: String?, inputs: [LoadedInput], threads: Int) throws
        -> TokenizerSource
    {
        switch options.tokenizer {
        case .model:
            guard let modelBase else {
                throw StageFailure(
                    "tokenizer.source is 'model' but the pipeline has no model (hint: add 'model: { base: <folder> }' "
                        + "to the pipeline file, or set 'tokenizer: { source: train-bpe }')")
            }
            // A folder with one GGUF file and no config.json: the tokenizer its metadata defines, as tokenizer.json.
            let gguf: String?
            do { gguf = try GGUFFolder.modelFile(in: modelBase) } catch { throw StageFailure("\(error)") }
            let path = gguf ?? modelBase + "/tokenizer.json"
            var ggufJSON: Data?
            if let gguf {
                do { ggufJSON = try GGUFFolder.tokenizerJSON(ofFile: gguf) } catch {
                    throw StageFailure("\(gguf): cannot build its tokenizer: \(error)")
                }
            }
            let read: Data?
            do { read = try ggufJSON ?? ModelFile.read(path, maxBytes: ModelFile.tokenizerLimit) } catch {
                throw StageFailure("\(error)")
            }
            guard let data = read else {
                throw StageFailure(
                    "\(path): cannot read the model's tokenizer (hint: the model folder needs a Hugging Face "
                        + "tokenizer.json; or set 'tokenizer: { source: train-bpe }')")
            }
            let tokenizer: Tokenizer
            do { tokenizer = try Tokenizer(json: data) } catch {
                throw StageFailure(
                    "\(path): \(error) (hint: this tokenizer.json uses something the Tokenizers library does not support)"
                )
            }
            let bytes = [UInt8](data)
            var source = TokenizerSource(tokenizer: tokenizer, bytes: bytes, sha256: SHA256.hex(bytes), kind: "model")
            // HF writes a huge number (1e30) when a tokenizer has no limit: only plausible position counts count.
            if let config = try? ModelFile.read(modelBase + "/tokenizer_config.json", maxBytes: ModelFile.configLimit),
                let object = try? JSONSerialization.jsonObject(with: config) as? [String: Any],
                let limit = (object["model_max_length"] as? NSNumber)?.doubleValue, limit >= 1, limit < 1e7
            {
                source.modelMaxLength = Int(limit)
            }
            return source
        case .trainBPE:
            let bpe = options.bpe
            let trainer = BPETrainer(
                vocabSize: bpe.vocabSize, minFrequency: bpe.minFrequency, specialTokens: bpe.specialTokens,
                addPrefixSpace: bpe.addPrefixSpace, threads: threads)
            var lines: [String] = []
            for input in inputs {
                for record in input.records(in: "train") {
                    lines.append(record.text)
                    if let pair = record.pair { lines.append(pair) }
                }
            }
            guard !lines.isEmpty else {
                throw StageFailure("tokenizer.source is 'train-bpe' but no input has a train split to train on")
            }
            let result: BPETrainer.Result
            do { result = try trainer.train(lines: lines) } catch {
                throw StageFailure("tokenizer: cannot train a BPE tokenizer: \(error)")
            }
            var json = result.tokenizerJSON()
            let template = bpe.specialTokens.contains("<s>") && bpe.specialTokens.contains("</s>")
            if template { json = try withSentenceTemplate(json, result: result) }
            let bytes = Array(json.utf8)
            let tokenizer: Tokenizer
            do { tokenizer = try Tokenizer(json: Data(bytes)) } catch {
                throw StageFailure("tokenizer: the trained tokenizer does not load back: \(error)")
            }
            if template, tokenizer.postProcessor?.addedTokens(isPair: false) != 2 {
                throw StageFailure("tokenizer: the trained tokenizer's '<s> $A </s>' template did not take effect")
            }
            var source = TokenizerSource(
                tokenizer: tokenizer, bytes: bytes, sha256: SHA256.hex(bytes), kind: "train-bpe")
            source.trained = [
                "vocab_size": .int(bpe.vocabSize), "min_frequency": .int(bpe.minFrequency),
                "special_tokens": .array(bpe.specialTokens.map { .string($0) }),
                "add_prefix_space": .bool(bpe.addPrefixSpace), "merges": .int(result.merges.count),
                "unique_words": .int(result.uniqueWords), "training_texts": .int(lines.count),
                "template": template ? "<s> $A </s>, <s> $A </s> $B:1 </s>:1" : .null,
            ]
            return source
        }
    }

    /// The trained tokenizer.json with a post-processor that frames sequences as `<s> $A </s>` and pairs as
    /// `<s> $A </s> $B:1 </s>:1` (after the byte-level offset trimming), so that rows start with a token a
    /// classifier can pool and packed documents are delimited — for HF `tokenizers` as for ours.
    static func withSentenceTemplate(_ json: String, result: BPETrainer.Result) throws -> String {
        func id(_ token: String) -> Int { result.specialTokens.firstIndex(of: token)! }
        func special(_ token: String, _ type: Int) -> Any { ["SpecialToken": ["id": token, "type_id": type]] }
        func sequence(_ name: String, _ type: Int) -> Any { ["Sequence": ["id": name, "type_id": type]] }
        let value: [String: Any] = [
            "type": "Sequence",
            "processors": [
                [
                    "type": "ByteLevel", "add_prefix_space": result.addPrefixSpace, "trim_offsets": true,
                    "use_regex": true,
                ],
                [
                    "type": "TemplateProcessing",
                    "single": [special("<s>", 0), sequence("A", 0), special("</s>", 0)],
                    "pair": [
                        special("<s>", 0), sequence("A", 0), special("</s>", 0), sequence("B", 1), special("</s>", 1),
                    ],
                    "special_tokens": [
                        "<s>": ["id": "<s>", "ids": [id("<s>")], "tokens": ["<s>"]],
                        "</s>": ["id": "</s>", "ids": [id("</s>")], "tokens": ["</s>"]],
                    ],
                ],
            ],
        ]
        let text = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        // The trainer writes one top-level `"post_processor": {...}` member whose object ends with a line "  },".
        guard let start = json.range(of: "\n  \"post_processor\": "),
            let end = json.range(of: "\n  },", range: start.upperBound..<json.endIndex)
        else {
            throw StageFailure(
                "tokenizer: cannot find the post_processor in the trained tokenizer.json (the trainer's layout changed)"
            )
        }
        return json.replacingCharacters(
            in: start.upperBound..<end.upperBound, with: String(decoding: text, as: UTF8.self) + ",")
    }
}
