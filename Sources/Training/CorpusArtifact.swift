import Datasets
import Foundation
import Models

/// One packed corpus of a tokenize stage's artifact (docs/token-shards.md): its split shards and what
/// `index.json` says about the tokenizer that made them. Read by the stages that train or evaluate language
/// models on token shards (domain-pretrain, evaluate).
public struct CorpusArtifact: Sendable {
    /// The data input's name in the tokenize stage (`corpus:` / `general:`).
    public let input: String
    /// The artifact's files folder.
    public let directory: String
    public let indexPath: String
    /// Split name → its shard.
    public let splits: [String: TokenShardReader]
    public let tokenizerSHA256: String
    /// Special token → id, from the index.
    public let specialTokens: [String: Int]
    public let tokenizerPath: String
    /// The input's class-label vocabulary in index order (`inputs.<input>.labels.vocabulary`), when it has class
    /// labels.
    public internal(set) var labelVocabulary: [String]? = nil

    /// Largest `index.json` read.
    public static let maximumIndexSize = 64 << 20

    /// Finds `input` in one of the `upstream` artifacts (stage name → files folder) and opens its shards.
    /// `parameter` names the stage parameter that asked for it, for the error messages; `requireTrain` insists on
    /// a `train` split (training stages).
    public static func load(
        input: String, upstream: [String: String], parameter: String, requireTrain: Bool = true
    ) throws -> CorpusArtifact {
        var seen: [String] = []
        for (stage, dir) in upstream.sorted(by: { $0.key < $1.key }) {
            let indexPath = dir + "/index.json"
            let read: Data?
            do { read = try ModelFile.read(indexPath, maxBytes: maximumIndexSize) } catch let e as ModelError {
                throw TrainingError(.invalidInput, file: indexPath, message: e.message)
            }
            guard let data = read else { continue }
            guard let index = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            else {
                throw TrainingError(.invalidInput, file: indexPath, message: "not a tokenize index (unreadable JSON)")
            }
            let inputs = index["inputs"] as? [String: Any] ?? [:]
            seen += inputs.keys.sorted().map { "\(stage).\($0)" }
            guard let entry = inputs[input] as? [String: Any] else { continue }
            let tokenizer = index["tokenizer"] as? [String: Any] ?? [:]
            guard let digest = tokenizer["sha256"] as? String else {
                throw TrainingError(
                    .invalidInput, file: indexPath, message: "no tokenizer.sha256", hint: "rerun the tokenize stage")
            }
            var splits: [String: TokenShardReader] = [:]
            for (split, info) in entry["splits"] as? [String: Any] ?? [:] {
                guard let file = (info as? [String: Any])?["file"] as? String, !file.contains("..") else { continue }
                do {
                    splits[split] = try TokenShardReader(path: dir + "/" + file)
                } catch {
                    throw TrainingError(.invalidInput, file: dir + "/" + file, message: "\(error)")
                }
            }
            if requireTrain, splits["train"] == nil {
                throw TrainingError(
                    .invalidInput, file: parameter, message: "input '\(input)' of stage '\(stage)' has no train split")
            }
            var special: [String: Int] = [:]
            for (token, id) in tokenizer["special_tokens"] as? [String: Any] ?? [:] {
                if let id = id as? Int { special[token] = id }
            }
            var artifact = CorpusArtifact(
                input: input, directory: dir, indexPath: indexPath, splits: splits, tokenizerSHA256: digest,
                specialTokens: special, tokenizerPath: dir + "/tokenizer.json")
            if let labels = entry["labels"] as? [String: Any], labels["kind"] as? String == "class" {
                artifact.labelVocabulary = (labels["vocabulary"] as? [Any])?.compactMap { $0 as? String }
            }
            return artifact
        }
        throw TrainingError(
            .invalidInput, file: parameter,
            message: "no upstream tokenize artifact has an input '\(input)'"
                + (seen.isEmpty ? "" : "; inputs found: " + seen.joined(separator: ", ")),
            hint: seen.isEmpty ? "add the tokenize stage to this stage's 'after:'" : nil)
    }

    /// The split to evaluate on: validation, else test.
    public var heldOut: TokenShardReader? { splits["validation"] ?? splits["test"] }
}

extension CorpusArtifact {
    /// The id the tokenizer pads with (`[PAD]`, else `<pad>`, else 0), checked against the vocabularies of the
    /// models that will embed it: a pad id past an embedding would index beyond it.
    public func padID(vocabularies: [Int]) throws -> Int32 {
        let id = specialTokens["[PAD]"] ?? specialTokens["<pad>"] ?? 0
        guard let smallest = vocabularies.min(), (0..<smallest).contains(id) else {
            throw TrainingError(
                .invalidInput, file: indexPath,
                message: "pad id \(id) is outside the model's vocabulary (\(vocabularies.min() ?? 0) ids)",
                hint: "tokenize with the model's own tokenizer")
        }
        return Int32(id)
    }
}
