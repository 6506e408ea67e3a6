import Datasets
import StageKit

/// The stage's parameters, read from the validated `with:` mapping (the engine has already checked types and
/// ranges against ``TokenizePlugin/description``; what a schema cannot say is checked here).
struct TokenizeOptions: Sendable {
    enum SplitSource: String, Sendable {
        /// Files named train/validation/test keep their split; otherwise fractions.
        case auto
        /// Every file of every input must be named train, validation or test.
        case files
        /// All files of an input are pooled and split by the fractions (seeded, stratified by label).
        case fractions
    }

    enum TokenizerSource: String, Sendable {
        /// `tokenizer.json` of the pipeline's `model.base`.
        case model
        /// A byte-level BPE trained on the train split of the stage's inputs.
        case trainBPE = "train-bpe"
    }

    /// Which inputs become one sequence per row and which are packed into `maxLength` blocks.
    enum Packing: String, Sendable {
        /// Plain-text inputs are packed (a corpus for MLM/CLM), structured ones are rows.
        case text
        case all
        case none
    }

    enum LabelKind: String, Sendable {
        case auto
        /// Class labels: indices into the input's sorted label vocabulary.
        case `class`
        /// Numeric labels (regression targets), stored as Float32.
        case number
    }

    struct BPE: Sendable, Equatable {
        var vocabSize = 8192
        var minFrequency = 2
        var specialTokens = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
        var addPrefixSpace = false
    }

    var maxLength = 128
    var splitSource = SplitSource.auto
    var fractions = SplitFractions.standard
    var tokenizer = TokenizerSource.model
    var bpe = BPE()
    var textUnit = TextReader.Unit.byParagraph
    var packing = Packing.text
    var labelKinds: [String: LabelKind] = [:]

    /// Reads the canonical parameters; `inputs` are the stage's data input names (for `labels` keys).
    init(_ params: JSONValue, inputs: Set<String>) throws {
        maxLength = params["max_length"]?.intValue ?? maxLength
        if let s = params["splits"] {
            if let name = s["from"]?.stringValue { splitSource = SplitSource(rawValue: name) ?? .auto }
            let train = s["train"]?.doubleValue ?? fractions.train
            let validation = s["validation"]?.doubleValue ?? fractions.validation
            let test = s["test"]?.doubleValue ?? fractions.test
            do {
                fractions = try SplitFractions(train: train, validation: validation, test: test)
            } catch let error as DatasetError {
                throw StageFailure("splits: \(error.message) (train \(train), validation \(validation), test \(test))")
            }
        }
        if let t = params["tokenizer"] {
            if let name = t["source"]?.stringValue { tokenizer = TokenizerSource(rawValue: name) ?? .model }
            if tokenizer == .model {
                let trainOnly = ["vocab_size", "min_frequency", "special_tokens", "add_prefix_space"]
                if let key = trainOnly.first(where: { t[$0] != nil }) {
                    throw StageFailure(
                        "tokenizer.\(key) applies to 'source: train-bpe' only; the model's tokenizer is used as is")
                }
            }
            bpe.vocabSize = t["vocab_size"]?.intValue ?? bpe.vocabSize
            bpe.minFrequency = t["min_frequency"]?.intValue ?? bpe.minFrequency
            if let list = t["special_tokens"]?.arrayValue { bpe.specialTokens = list.compactMap(\.stringValue) }
            bpe.addPrefixSpace = t["add_prefix_space"]?.boolValue ?? bpe.addPrefixSpace
            if Set(bpe.specialTokens).count != bpe.specialTokens.count {
                throw StageFailure("tokenizer.special_tokens: \(bpe.specialTokens) lists a token twice")
            }
        }
        if let unit = params["text_unit"]?.stringValue { textUnit = TextReader.Unit(rawValue: unit) ?? .byParagraph }
        if let p = params["pack"]?.stringValue { packing = Packing(rawValue: p) ?? .text }
        for (name, kind) in params["labels"]?.objectValue ?? [:] {
            guard inputs.contains(name) else {
                let hint = closestMatch(to: name, among: inputs.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
                throw StageFailure(
                    "labels.\(name): '\(name)' is not a data input of this stage\(hint); inputs: "
                        + inputs.sorted().joined(separator: ", "))
            }
            labelKinds[name] = kind.stringValue.flatMap(LabelKind.init(rawValue:)) ?? .auto
        }
    }

    /// Whether the rows of an input in `format` are packed into blocks.
    func packs(format: String) -> Bool {
        switch packing {
        case .text: format == "text"
        case .all: true
        case .none: false
        }
    }
}
