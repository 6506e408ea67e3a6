/// The `post_processor` section of tokenizer.json: adds special tokens, sets type ids,
/// adjusts offsets, and joins the two sequences of a pair.
public protocol PostProcessor: Sendable {
    /// Number of special tokens `process` adds (truncation leaves room for them).
    func addedTokens(isPair: Bool) -> Int
    func process(_ a: Encoding, _ b: Encoding?, addSpecialTokens: Bool) -> Encoding
}

enum PostProcessorFactory {
    static func make(_ node: JSONNode) throws -> PostProcessor {
        let type = try node.typeName()
        switch type {
        case "TemplateProcessing": return try TemplateProcessing(node)
        case "BertProcessing":
            let (sep, sepId) = try pair(node.required("sep"))
            let (cls, clsId) = try pair(node.required("cls"))
            return TemplateProcessing.bert(cls: cls, clsId: clsId, sep: sep, sepId: sepId)
        case "RobertaProcessing":
            let (sep, sepId) = try pair(node.required("sep"))
            let (cls, clsId) = try pair(node.required("cls"))
            return RobertaProcessing(
                cls: cls, clsId: clsId, sep: sep, sepId: sepId,
                trimOffsets: try node.bool("trim_offsets", default: true),
                addPrefixSpace: try node.bool("add_prefix_space", default: true))
        case "ByteLevel":
            return ByteLevelPostProcessor(
                trimOffsets: try node.bool("trim_offsets", default: true),
                addPrefixSpace: try node.bool("add_prefix_space", default: true))
        case "Sequence":
            return SequencePostProcessor(processors: try node.required("processors").array().map(make))
        default:
            throw TokenizerError(.unsupported, path: node["type"].path, "unsupported \"\(type)\"")
        }
    }

    /// `["[SEP]", 102]`.
    static func pair(_ node: JSONNode) throws -> (String, Int) {
        let a = try node.array()
        guard a.count == 2 else { throw node.invalid("expected [token, id]") }
        return (try a[0].string(), try a[1].int())
    }
}

/// HF `TemplateProcessing`: `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`.
public struct TemplateProcessing: PostProcessor {
    public enum Piece: Sendable {
        case sequence(isB: Bool, typeId: Int)
        case special(id: String, typeId: Int)
    }
    public struct SpecialToken: Sendable {
        public var ids: [Int]
        public var tokens: [String]
    }
    public var single: [Piece]
    public var pair: [Piece]
    public var specialTokens: [String: SpecialToken]

    /// Pieces with their special token ids looked up once.
    struct Resolved: Sendable {
        var isSequence: Bool
        var isB: Bool
        var typeId: Int
        var ids: [Int]
    }
    private var resolvedSingle: [Resolved] = []
    private var resolvedPair: [Resolved] = []

    init(single: [Piece], pair: [Piece], specialTokens: [String: SpecialToken]) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
        resolve()
    }

    private mutating func resolve() {
        func r(_ pieces: [Piece]) -> [Resolved] {
            pieces.map { p in
                switch p {
                case .sequence(let isB, let typeId):
                    return Resolved(isSequence: true, isB: isB, typeId: typeId, ids: [])
                case .special(let id, let typeId):
                    return Resolved(isSequence: false, isB: false, typeId: typeId, ids: specialTokens[id]?.ids ?? [])
                }
            }
        }
        resolvedSingle = r(single)
        resolvedPair = r(pair)
    }

    static func bert(cls: String, clsId: Int, sep: String, sepId: Int) -> TemplateProcessing {
        TemplateProcessing(
            single: [.special(id: cls, typeId: 0), .sequence(isB: false, typeId: 0), .special(id: sep, typeId: 0)],
            pair: [
                .special(id: cls, typeId: 0), .sequence(isB: false, typeId: 0), .special(id: sep, typeId: 0),
                .sequence(isB: true, typeId: 1), .special(id: sep, typeId: 1),
            ],
            specialTokens: [
                cls: SpecialToken(ids: [clsId], tokens: [cls]), sep: SpecialToken(ids: [sepId], tokens: [sep]),
            ])
    }

    init(_ node: JSONNode) throws {
        var specials: [String: SpecialToken] = [:]
        if node.has("special_tokens") {
            for (name, value) in try node["special_tokens"].members() {
                let ids = try value.required("ids").array().map { try $0.int() }
                let tokens = try value.required("tokens").array().map { try $0.string() }
                guard ids.count == tokens.count else { throw value.invalid("ids and tokens differ in length") }
                specials[name] = SpecialToken(ids: ids, tokens: tokens)
            }
        }
        func pieces(_ n: JSONNode) throws -> [Piece] {
            try n.array().map { item in
                if item.has("Sequence") {
                    let s = item["Sequence"]
                    let id = try s.required("id").string()
                    guard id == "A" || id == "B" else { throw s["id"].invalid("expected \"A\" or \"B\"") }
                    return .sequence(isB: id == "B", typeId: try s.int("type_id", default: 0)!)
                }
                if item.has("SpecialToken") {
                    let s = item["SpecialToken"]
                    let id = try s.required("id").string()
                    guard specials[id] != nil else { throw s["id"].invalid("\"\(id)\" is not in special_tokens") }
                    return .special(id: id, typeId: try s.int("type_id", default: 0)!)
                }
                throw item.invalid("expected a Sequence or a SpecialToken")
            }
        }
        single = try pieces(node.required("single"))
        pair = try pieces(node.required("pair"))
        specialTokens = specials
        resolve()
    }

    public func addedTokens(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, p in
            if case .special(let id, _) = p { return n + (specialTokens[id]?.ids.count ?? 0) }
            return n
        }
    }

    public func process(_ a: Encoding, _ b: Encoding?, addSpecialTokens: Bool) -> Encoding {
        guard addSpecialTokens else {
            var out = a
            if let b { out.append(contentsOf: b) }
            return out
        }
        var out = Encoding(vocabulary: a.vocabulary, capacity: a.count + (b?.count ?? 0) + 4)
        for piece in (b == nil ? resolvedSingle : resolvedPair) {
            if piece.isSequence {
                guard let e = piece.isB ? b : a else { continue }
                out.append(contentsOf: e, typeId: Int32(piece.typeId))
            } else {
                for i in piece.ids {
                    out.append(id: i, offset: .init(0, 0), typeId: piece.typeId, special: true, sequence: nil)
                }
            }
        }
        return out
    }
}

/// HF `process_offsets`: trim offsets of byte-level tokens so they exclude the spaces the
/// token carries (`Ġ`), except the prefix space added to the first token.
func trimByteLevelOffsets(_ e: inout Encoding, addPrefixSpace: Bool) {
    for i in 0..<e.count {
        let token = e.vocabulary.token(Int(e.items[i].id)).unicodeScalars
        func isSpace(_ u: Unicode.Scalar) -> Bool { u.value == 0x120 || UnicodeClasses.isWhitespace(u.value) }
        var leading = 0
        for u in token { if isSpace(u) { leading += 1 } else { break } }
        var trailing = 0
        for u in token.reversed() { if isSpace(u) { trailing += 1 } else { break } }
        guard leading > 0 || trailing > 0 else { continue }
        var o = Encoding.Offset(Int(e.items[i].start), Int(e.items[i].end))
        if leading > 0 {
            let isFirst = i == 0 || o.start == 0
            if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
            o.start = min(o.start + leading, o.end)
        }
        if trailing > 0 && o.end >= trailing {
            o.end = max(o.end - trailing, o.start)
        }
        e.setOffset(i, o)
    }
}

public struct ByteLevelPostProcessor: PostProcessor {
    public var trimOffsets: Bool
    public var addPrefixSpace: Bool
    public func addedTokens(isPair: Bool) -> Int { 0 }
    public func process(_ a: Encoding, _ b: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var a = a, b = b
        if trimOffsets {
            trimByteLevelOffsets(&a, addPrefixSpace: addPrefixSpace)
            if b != nil { trimByteLevelOffsets(&b!, addPrefixSpace: addPrefixSpace) }
        }
        if var b {
            b.setTypeIds(1)
            a.append(contentsOf: b)
        }
        return a
    }
}

/// `<s> A </s>` / `<s> A </s> </s> B </s>` with byte-level offset trimming.
public struct RobertaProcessing: PostProcessor {
    public var cls: String, clsId: Int, sep: String, sepId: Int
    public var trimOffsets: Bool
    public var addPrefixSpace: Bool

    public func addedTokens(isPair: Bool) -> Int { isPair ? 4 : 2 }

    public func process(_ a: Encoding, _ b: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var a = a, b = b
        if trimOffsets {
            trimByteLevelOffsets(&a, addPrefixSpace: addPrefixSpace)
            if b != nil { trimByteLevelOffsets(&b!, addPrefixSpace: addPrefixSpace) }
        }
        guard addSpecialTokens else {
            if let b { a.append(contentsOf: b) }
            return a
        }
        var out = Encoding(vocabulary: a.vocabulary, capacity: a.count + (b?.count ?? 0) + 4)
        out.append(id: clsId, offset: .init(0, 0), typeId: 0, special: true, sequence: nil)
        a.setTypeIds(0)
        out.append(contentsOf: a)
        out.append(id: sepId, offset: .init(0, 0), typeId: 0, special: true, sequence: nil)
        if var b {
            out.append(id: sepId, offset: .init(0, 0), typeId: 0, special: true, sequence: nil)
            b.setTypeIds(0)
            out.append(contentsOf: b)
            out.append(id: sepId, offset: .init(0, 0), typeId: 0, special: true, sequence: nil)
        }
        return out
    }
}

public struct SequencePostProcessor: PostProcessor {
    public var processors: [PostProcessor]
    public func addedTokens(isPair: Bool) -> Int { processors.reduce(0) { $0 + $1.addedTokens(isPair: isPair) } }
    public func process(_ a: Encoding, _ b: Encoding?, addSpecialTokens: Bool) -> Encoding {
        // HF runs each processor on the pair in turn; the first one that joins the pair
        // leaves a single encoding for the rest.
        var a = a
        var b = b
        for p in processors {
            a = p.process(a, b, addSpecialTokens: addSpecialTokens)
            b = nil
        }
        return a
    }
}
