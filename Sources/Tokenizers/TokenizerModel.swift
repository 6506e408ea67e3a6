/// One token produced by a model: an id and the range of normalized scalars it covers.
public struct ModelToken: Sendable, Equatable {
    public var id: Int32
    public var start: Int32
    public var end: Int32
}

/// The `model` section of tokenizer.json: turns one pre-tokenized piece into tokens.
public protocol TokenizerModel: Sendable {
    /// Tokenizes `s[range]`, appending tokens with absolute scalar ranges.
    func tokenize(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken])
    func tokenToId(_ token: String) -> Int?
    func idToToken(_ id: Int) -> String?
    var vocabSize: Int { get }
}

enum ModelFactory {
    static func make(_ node: JSONNode) throws -> TokenizerModel {
        // Old files omit the model type; HF then infers it from the keys.
        let type: String
        if node.has("type") {
            type = try node.typeName()
        } else if node.has("merges") {
            type = "BPE"
        } else if node.has("continuing_subword_prefix") || node.has("max_input_chars_per_word") {
            type = "WordPiece"
        } else {
            throw TokenizerError(.missing, path: node["type"].path, "required key is missing")
        }
        switch type {
        case "WordPiece": return try WordPieceModel(node)
        case "BPE": return try BPEModel(node)
        default: throw TokenizerError(.unsupported, path: node["type"].path, "unsupported \"\(type)\"")
        }
    }

    /// Reads a `{token: id}` vocab into a table and the reverse array.
    static func vocab(_ node: JSONNode) throws -> [(String, Int)] {
        let members = try node.members()
        var result: [(String, Int)] = []
        result.reserveCapacity(members.count)
        for (token, idNode) in members {
            let id = try idNode.int()
            guard id >= 0, id < 1 << 30 else { throw idNode.invalid("token id out of range") }
            result.append((token, id))
        }
        return result
    }

    static func reverse(_ vocab: [(String, Int)], extra: Int = 0) -> [String?] {
        let size = (vocab.map(\.1).max() ?? -1) + 1
        var r = [String?](repeating: nil, count: size)
        for (t, id) in vocab { r[id] = t }
        return r
    }
}
