/// WordPiece: greedy longest-match-first over the vocab, `##`-prefixed continuations.
public struct WordPieceModel: TokenizerModel {
    public let unkToken: String
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    let unkId: Int32
    /// Word-initial tokens.
    let initial: VocabTable
    /// Continuation tokens, stored without their prefix so lookups need no concatenation.
    let continuation: VocabTable
    let idToTokenTable: [String?]
    let tokenIds: [String: Int]

    init(_ node: JSONNode) throws {
        let unk = try node.string("unk_token", default: "[UNK]")!
        let prefix = try node.string("continuing_subword_prefix", default: "##")!
        let maxChars = try node.int("max_input_chars_per_word", default: 100)!
        let vocab = try ModelFactory.vocab(node.required("vocab"))
        try self.init(
            vocab: vocab, unkToken: unk, prefix: prefix, maxInputCharsPerWord: maxChars, path: node["unk_token"].path)
    }

    public init(
        vocab: [(String, Int)], unkToken: String = "[UNK]", prefix: String = "##", maxInputCharsPerWord: Int = 100,
        path: String = "model.unk_token"
    ) throws {
        self.unkToken = unkToken
        continuingSubwordPrefix = prefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        var ini = VocabTable(capacity: vocab.count)
        var cont = VocabTable(capacity: vocab.count / 4 + 16)
        var ids: [String: Int] = [:]
        ids.reserveCapacity(vocab.count)
        let prefixScalars = prefix.scalarValues
        for (token, id) in vocab {
            ids[token] = id
            let s = token.scalarValues
            ini.insert(s, id: id)
            if !prefixScalars.isEmpty, s.count > prefixScalars.count, Array(s[0..<prefixScalars.count]) == prefixScalars
            {
                cont.insert(Array(s[prefixScalars.count...]), id: id)
            }
        }
        guard let u = ids[unkToken] else {
            throw TokenizerError(.invalid, path: path, "unk token \"\(unkToken)\" is not in the vocab")
        }
        unkId = Int32(u)
        initial = ini
        continuation = cont
        tokenIds = ids
        idToTokenTable = ModelFactory.reverse(vocab)
    }

    public var vocabSize: Int { tokenIds.count }
    public func tokenToId(_ token: String) -> Int? { tokenIds[token] }
    public func idToToken(_ id: Int) -> String? { id >= 0 && id < idToTokenTable.count ? idToTokenTable[id] : nil }

    public func tokenize(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken]) {
        let lo = range.lowerBound, hi = range.upperBound
        if hi - lo > maxInputCharsPerWord {
            out.append(ModelToken(id: unkId, start: Int32(lo), end: Int32(hi)))
            return
        }
        let base = s.baseAddress!
        // Common case: the whole word is a token.
        let whole = initial.lookup(base + lo, hi - lo)
        if whole >= 0 {
            out.append(ModelToken(id: whole, start: Int32(lo), end: Int32(hi)))
            return
        }
        let mark = out.count
        var start = lo
        while start < hi {
            // Not `let table = ... ? initial : continuation`: copying the table retains its
            // arrays, and those shared reference counts make threads contend.
            let first = start == lo
            var end = min(hi, start + (first ? initial.maxKeyLength : continuation.maxKeyLength))
            var found: Int32 = -1
            while end > start {
                found =
                    first ? initial.lookup(base + start, end - start) : continuation.lookup(base + start, end - start)
                if found >= 0 { break }
                end -= 1
            }
            if found < 0 {
                out.removeLast(out.count - mark)
                out.append(ModelToken(id: unkId, start: Int32(lo), end: Int32(hi)))
                return
            }
            out.append(ModelToken(id: found, start: Int32(start), end: Int32(end)))
            start = end
        }
    }
}
