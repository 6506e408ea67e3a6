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
    /// Same, with a per-thread cache of recent words the model may use (BPE does).
    func tokenize(
        _ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken], cache: inout WordCache)
    func tokenToId(_ token: String) -> Int?
    func idToToken(_ id: Int) -> String?
    var vocabSize: Int { get }
}

extension TokenizerModel {
    public func tokenize(
        _ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken],
        cache: inout WordCache
    ) {
        tokenize(s, range, into: &out)
    }
}

/// Recently tokenized words → their tokens (ids and ranges relative to the word start).
/// One per thread; cleared when full.
public struct WordCache {
    private var table = VocabTable(capacity: 4096)
    private var spans: [(Int32, Int32)] = []  // start, count in `tokens`
    private var tokens: [ModelToken] = []
    static let capacity = 20_000
    static let maxWordLength = 48

    public init() {}

    /// Appends the cached tokens of `s[range]` (shifted to `range`) and returns true, or false.
    @inline(__always)
    func lookup(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken]) -> Bool {
        guard range.count <= Self.maxWordLength, table.count > 0 else { return false }
        let k = table.lookup(s.baseAddress! + range.lowerBound, range.count)
        if k < 0 { return false }
        let (st, n) = spans[Int(k)]
        let base = Int32(range.lowerBound)
        for i in Int(st)..<Int(st + n) {
            let t = tokens[i]
            out.append(ModelToken(id: t.id, start: t.start + base, end: t.end + base))
        }
        return true
    }

    /// Remembers the tokens `out[from...]` produced for `s[range]`.
    mutating func store(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, _ out: [ModelToken], from: Int) {
        guard range.count <= Self.maxWordLength else { return }
        if table.count >= Self.capacity {
            table = VocabTable(capacity: 4096)
            spans.removeAll(keepingCapacity: true)
            tokens.removeAll(keepingCapacity: true)
        }
        let base = Int32(range.lowerBound)
        spans.append((Int32(tokens.count), Int32(out.count - from)))
        for i in from..<out.count {
            tokens.append(ModelToken(id: out[i].id, start: out[i].start - base, end: out[i].end - base))
        }
        table.insert(Array(s[range]), id: spans.count - 1)
    }
}

enum ModelFactory {
    /// Ids index dense tables: an absurd id in a file must be an error, not a huge allocation.
    static let maxTokenId = 1 << 22

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
        case "WordLevel": return try WordLevelModel(node)
        case "Unigram": return try UnigramModel(node)
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
            guard id >= 0, id < ModelFactory.maxTokenId else {
                throw idNode.invalid("token id \(id) out of range 0..<\(ModelFactory.maxTokenId)")
            }
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
