import Tensor

/// BERT's masking for masked-LM (as HF `DataCollatorForLanguageModeling`): each maskable token is selected with
/// probability `probability` (15%); a selected token becomes `[MASK]` with probability 80%, a uniformly random
/// vocabulary id with 10%, and stays itself with 10%; the loss reads the selected positions only. Special tokens
/// (and padding) are never selected. With whole-word masking a word (a token and its `##` continuations, or the
/// tokens sharing a shard word id) is selected as a unit, with the same probability.
///
/// Every draw comes from a counter-based generator keyed by (row key, position), so a batch masks the same way
/// when a resumed run rebuilds it, and evaluation rows mask the same way before and after training.
public struct MaskedLMCollator: Sendable {
    public var probability: Float
    public var maskID: Int32
    public var vocabularySize: Int
    /// `isSpecial[id]`: never masked.
    public var isSpecial: [Bool]
    /// `continuesWord[id]`: the token continues the previous token's word (WordPiece `##`); nil without
    /// whole-word masking; empty for whole-word masking by the shard's word ids only.
    public var continuesWord: [Bool]?

    public init(
        probability: Float = 0.15, maskID: Int32, vocabularySize: Int, isSpecial: [Bool], continuesWord: [Bool]? = nil
    ) {
        self.probability = probability
        self.maskID = maskID
        self.vocabularySize = vocabularySize
        self.isSpecial = isSpecial
        self.continuesWord = continuesWord
    }

    /// Masked ids and targets (-100 where not selected) of one row of `tokens`, drawing from `rng` at counters
    /// `base ..< base + 4 · count`.
    ///
    /// When the shard has them (version 2), `specialMask` replaces the id-based special set and `wordIds`
    /// (equal ids of neighbouring tokens = one word) replaces the `##` rule for whole-word masking — which also
    /// works for tokenizers without a continuation prefix (byte-level BPE).
    public func mask(
        _ tokens: [Int32], specialMask: [UInt8]? = nil, wordIds: [Int32]? = nil, rng: CounterRNG, base: Int
    ) -> (ids: [Int32], targets: [Int32]) {
        var ids = tokens
        var targets = [Int32](repeating: -100, count: tokens.count)
        var selectedWord = false
        for (i, id) in tokens.enumerated() {
            let special = specialMask.map { $0[i] != 0 } ?? (Int(id) < isSpecial.count && isSpecial[Int(id)])
            if special {
                selectedWord = false
                continue
            }
            let c = base + 4 * i
            let selected: Bool
            let continues: Bool
            if continuesWord != nil, let wordIds {
                continues = i > 0 && wordIds[i] >= 0 && wordIds[i] == wordIds[i - 1]
            } else if let continuesWord {
                continues = i > 0 && Int(id) < continuesWord.count && continuesWord[Int(id)]
            } else {
                continues = false
            }
            if continues {
                selected = selectedWord  // the word's first token decided
            } else {
                selected = rng.uniform(c) < probability
                selectedWord = selected
            }
            guard selected else { continue }
            targets[i] = id
            let u = rng.uniform(c + 1)
            if u < 0.8 {
                ids[i] = maskID
            } else if u < 0.9 {
                ids[i] = Int32(Int(rng.bits(c + 2)) % vocabularySize)
            }
        }
        return (ids, targets)
    }
}
