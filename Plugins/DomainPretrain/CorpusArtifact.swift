import Datasets
import Foundation
import StageKit

/// One packed corpus of a tokenize stage's artifact (docs/token-shards.md): its split shards and what
/// `index.json` says about the tokenizer that made them.
struct CorpusArtifact {
    /// The data input's name in the tokenize stage (`corpus:` / `general:`).
    let input: String
    /// The artifact's files folder.
    let directory: String
    let indexPath: String
    /// Split name → its shard.
    let splits: [String: TokenShardReader]
    let tokenizerSHA256: String
    /// Special token → id, from the index.
    let specialTokens: [String: Int]
    let tokenizerPath: String

    /// Finds `input` in one of the `upstream` artifacts (stage name → files folder) and opens its shards.
    static func load(input: String, upstream: [String: String], parameter: String) throws -> CorpusArtifact {
        var seen: [String] = []
        for stage in upstream.keys.sorted() {
            let dir = upstream[stage]!
            let indexPath = dir + "/index.json"
            guard let data = FileManager.default.contents(atPath: indexPath) else { continue }
            guard data.count < 64 << 20, let index = try? JSONDecoder().decode(StageKit.JSONValue.self, from: data)
            else {
                throw StageFailure("\(indexPath): not a tokenize index (unreadable JSON)")
            }
            let inputs = index["inputs"]?.objectValue ?? [:]
            seen += inputs.keys.sorted().map { "\(stage).\($0)" }
            guard let entry = inputs[input] else { continue }
            guard let digest = index["tokenizer"]?["sha256"]?.stringValue else {
                throw StageFailure("\(indexPath): no tokenizer.sha256; rerun the tokenize stage")
            }
            var splits: [String: TokenShardReader] = [:]
            for (split, info) in entry["splits"]?.objectValue ?? [:] {
                guard let file = info["file"]?.stringValue, !file.contains("..") else { continue }
                do {
                    splits[split] = try TokenShardReader(path: dir + "/" + file)
                } catch {
                    throw StageFailure("\(error)")
                }
            }
            guard splits["train"] != nil else {
                throw StageFailure("\(parameter): input '\(input)' of stage '\(stage)' has no train split")
            }
            var special: [String: Int] = [:]
            for (token, id) in index["tokenizer"]?["special_tokens"]?.objectValue ?? [:] {
                if let id = id.intValue { special[token] = id }
            }
            return CorpusArtifact(
                input: input, directory: dir, indexPath: indexPath, splits: splits, tokenizerSHA256: digest,
                specialTokens: special, tokenizerPath: dir + "/tokenizer.json")
        }
        throw StageFailure(
            "\(parameter): no upstream tokenize artifact has an input '\(input)'"
                + (seen.isEmpty
                    ? " (hint: add the tokenize stage to this stage's 'after:')"
                    : "; inputs found: " + seen.joined(separator: ", ")))
    }

    /// The split to evaluate on: validation, else test.
    var heldOut: TokenShardReader? { splits["validation"] ?? splits["test"] }
}
