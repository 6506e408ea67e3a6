/// WordLevel: each pre-tokenized piece is one token, or the unknown token.
public struct WordLevelModel: TokenizerModel {
    public let unkToken: String
    let vocab: VocabTable
    let unkId: Int32
    let idToTokenTable: [String?]
    let tokenIds: [String: Int]

    init(_ node: JSONNode) throws {
        try self.init(
            vocab: try ModelFactory.vocab(node.required("vocab")),
            unkToken: try node.string("unk_token", default: "<unk>")!, path: node["unk_token"].path)
    }

    public init(vocab: [(String, Int)], unkToken: String = "<unk>", path: String = "model.unk_token") throws {
        self.unkToken = unkToken
        var table = VocabTable(capacity: vocab.count)
        var ids: [String: Int] = [:]
        for (token, id) in vocab {
            ids[token] = id
            table.insert(token.scalarValues, id: id)
        }
        guard let u = ids[unkToken] else {
            throw TokenizerError(.invalid, path: path, "unk token \"\(unkToken)\" is not in the vocab")
        }
        unkId = Int32(u)
        self.vocab = table
        tokenIds = ids
        idToTokenTable = ModelFactory.reverse(vocab)
    }

    public var vocabSize: Int { tokenIds.count }
    public func tokenToId(_ token: String) -> Int? { tokenIds[token] }
    public func idToToken(_ id: Int) -> String? { id >= 0 && id < idToTokenTable.count ? idToTokenTable[id] : nil }

    public func tokenize(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken]) {
        guard !range.isEmpty else { return }
        let id = vocab.lookup(s.baseAddress! + range.lowerBound, range.count)
        out.append(ModelToken(id: id >= 0 ? id : unkId, start: Int32(range.lowerBound), end: Int32(range.upperBound)))
    }
}
