/// Unigram (SentencePiece): the segmentation with the highest total log-probability,
/// found by Viterbi over the vocab (HF `Unigram::encode_optimized`, same tie-breaking).
public struct UnigramModel: TokenizerModel {
    public let unkId: Int?
    public let byteFallback: Bool
    /// HF always fuses runs of unknown characters into one token.
    public let fuseUnk = true
    let vocab: VocabTable
    let scores: [Double]
    let tokens: [String]
    let tokenIds: [String: Int]
    let unkScore: Double
    let byteFallbackIds: [Int32]
    /// HF's penalty below the lowest score for an unknown character.
    static let unknownPenalty = 10.0

    init(_ node: JSONNode) throws {
        var entries: [(String, Double)] = []
        for item in try node.required("vocab").array() {
            let pair = try item.array()
            guard pair.count == 2 else { throw item.invalid("expected [token, score]") }
            entries.append((try pair[0].string(), try pair[1].double()))
        }
        let unk = try node.int("unk_id", default: nil)
        if let unk, unk < 0 || unk >= entries.count {
            throw node["unk_id"].invalid("unk_id \(unk) is not in the vocab")
        }
        guard entries.count < ModelFactory.maxTokenId else { throw node["vocab"].invalid("vocab too large") }
        try self.init(vocab: entries, unkId: unk, byteFallback: try node.bool("byte_fallback", default: false))
    }

    public init(vocab entries: [(String, Double)], unkId: Int?, byteFallback: Bool = false) throws {
        self.unkId = unkId
        self.byteFallback = byteFallback
        var table = VocabTable(capacity: entries.count)
        var ids: [String: Int] = [:]
        for (i, (token, _)) in entries.enumerated() {
            if ids[token] == nil { ids[token] = i }
            table.insert(token.scalarValues, id: ids[token]!)
        }
        vocab = table
        scores = entries.map(\.1)
        tokens = entries.map(\.0)
        tokenIds = ids
        unkScore = (scores.min() ?? 0) - Self.unknownPenalty
        var fb = [Int32](repeating: -1, count: 256)
        if byteFallback {
            for b in 0..<256 {
                let hex = String(b, radix: 16, uppercase: true)
                fb[b] = ids["<0x" + (hex.count == 1 ? "0" : "") + hex + ">"].map(Int32.init) ?? -1
            }
        }
        byteFallbackIds = fb
    }

    public var vocabSize: Int { tokens.count }
    public func tokenToId(_ token: String) -> Int? { tokenIds[token] }
    public func idToToken(_ id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }

    public func tokenize(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken]) {
        let lo = range.lowerBound, n = range.count
        guard n > 0 else { return }
        let base = s.baseAddress! + lo
        // Best path ending at each position: score, where its last token starts, its id.
        var best = [Double](repeating: 0, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var ids = [Int32](repeating: -1, count: n + 1)
        let unk = Int32(unkId ?? -1)
        for start in 0..<n {
            let here = best[start]
            var hasSingle = false
            // Prefixes by increasing length, as HF's trie search yields them.
            for len in stride(from: 1, through: min(vocab.maxKeyLength, n - start), by: 1) {
                let id = vocab.lookup(base + start, len)
                if id < 0 { continue }
                let end = start + len
                let candidate = scores[Int(id)] + here
                if from[end] < 0 || candidate > best[end] {
                    best[end] = candidate
                    from[end] = start
                    ids[end] = id
                }
                if len == 1 { hasSingle = true }
            }
            if !hasSingle {
                let candidate = unkScore + here
                if from[start + 1] < 0 || candidate > best[start + 1] {
                    best[start + 1] = candidate
                    from[start + 1] = start
                    ids[start + 1] = unk
                }
            }
        }
        // Walk back; runs of unknowns fuse into one span.
        var spans: [(Int, Int)] = []
        var end = n
        var unkRunEnd = -1
        while end > 0 {
            let start = from[end]
            if unk >= 0 && ids[end] == unk {
                if unkRunEnd < 0 { unkRunEnd = end }
            } else {
                if unkRunEnd >= 0 {
                    spans.append((end, unkRunEnd))
                    unkRunEnd = -1
                }
                spans.append((start, end))
            }
            end = start
        }
        if unkRunEnd >= 0 { spans.append((0, unkRunEnd)) }
        // Each span's text is looked up again (as HF does), then byte fallback, then unk.
        for (a, b) in spans.reversed() {
            let st = Int32(lo + a), en = Int32(lo + b)
            let id = vocab.lookup(base + a, b - a)
            if id >= 0 {
                out.append(ModelToken(id: id, start: st, end: en))
                continue
            }
            if byteFallback {
                var bytes: [Int32] = []
                var ok = true
                for k in a..<b {
                    ByteLevel.utf8(base[k]) { byte in
                        let f = byteFallbackIds[Int(byte)]
                        if f < 0 { ok = false }
                        bytes.append(f)
                    }
                }
                if ok {
                    for f in bytes { out.append(ModelToken(id: f, start: st, end: en)) }
                    continue
                }
            }
            // Without an unk id HF fails the encode; we drop the span.
            if unk >= 0 { out.append(ModelToken(id: unk, start: st, end: en)) }
        }
    }
}
