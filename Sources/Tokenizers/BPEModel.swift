/// Byte-pair encoding with a ranked merge list (GPT-2 / RoBERTa byte-level BPE and classic BPE).
public struct BPEModel: TokenizerModel {
    public let unkToken: String?
    public let continuingSubwordPrefix: String?
    public let endOfWordSuffix: String?
    public let fuseUnk: Bool
    public let byteFallback: Bool
    public let ignoreMerges: Bool
    let vocab: VocabTable
    let merges: MergeTable
    /// Ids of the single-scalar tokens for scalars below `directLimit` (-1 if absent).
    let directIds: [Int32]
    static let directLimit = 0x400
    let byteFallbackIds: [Int32]
    let unkId: Int32
    let idToTokenTable: [String?]
    let tokenIds: [String: Int]
    /// Merge list in rank order (kept for saving).
    public let mergeList: [(String, String)]

    init(_ node: JSONNode) throws {
        if node.has("dropout") {
            let d = try node["dropout"].double()
            if d != 0 { throw TokenizerError(.unsupported, path: node["dropout"].path, "BPE dropout is not supported") }
        }
        let vocab = try ModelFactory.vocab(node.required("vocab"))
        var merges: [(String, String)] = []
        let mergesNode = try node.required("merges")
        for m in try mergesNode.array() {
            if case .string(let s)? = m.value {
                let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw m.invalid("a merge must be two tokens separated by a space") }
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                let pair = try m.array()
                guard pair.count == 2 else { throw m.invalid("a merge must be a pair of tokens") }
                merges.append((try pair[0].string(), try pair[1].string()))
            }
        }
        try self.init(
            vocab: vocab, merges: merges,
            unkToken: try node.string("unk_token", default: nil),
            continuingSubwordPrefix: try node.string("continuing_subword_prefix", default: nil),
            endOfWordSuffix: try node.string("end_of_word_suffix", default: nil),
            fuseUnk: try node.bool("fuse_unk", default: false),
            byteFallback: try node.bool("byte_fallback", default: false),
            ignoreMerges: try node.bool("ignore_merges", default: false),
            path: mergesNode.path)
    }

    public init(
        vocab: [(String, Int)], merges: [(String, String)], unkToken: String? = nil,
        continuingSubwordPrefix: String? = nil, endOfWordSuffix: String? = nil, fuseUnk: Bool = false,
        byteFallback: Bool = false, ignoreMerges: Bool = false, path: String = "model.merges"
    ) throws {
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        var table = VocabTable(capacity: vocab.count)
        var ids: [String: Int] = [:]
        ids.reserveCapacity(vocab.count)
        var direct = [Int32](repeating: -1, count: Self.directLimit)
        for (token, id) in vocab {
            ids[token] = id
            let s = token.scalarValues
            table.insert(s, id: id)
            if s.count == 1, s[0] < Self.directLimit { direct[Int(s[0])] = Int32(id) }
        }
        var mt = MergeTable(capacity: merges.count)
        let prefixLength = continuingSubwordPrefix?.unicodeScalars.count ?? 0
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = ids[a] else {
                throw TokenizerError(.invalid, path: "\(path)[\(rank)]", "token \"\(a)\" is not in the vocab")
            }
            guard let ib = ids[b] else {
                throw TokenizerError(.invalid, path: "\(path)[\(rank)]", "token \"\(b)\" is not in the vocab")
            }
            // With a continuing prefix, the right part loses its prefix when merged (HF semantics).
            let merged =
                prefixLength > 0 && b.scalarsHavePrefix(continuingSubwordPrefix!)
                ? a + String(b.unicodeScalars.dropFirst(prefixLength)) : a + b
            guard let im = ids[merged] else {
                throw TokenizerError(
                    .invalid, path: "\(path)[\(rank)]", "merged token \"\(merged)\" is not in the vocab")
            }
            mt.insert(Int32(ia), Int32(ib), rank: Int32(rank), newId: Int32(im))
        }
        unkId = unkToken.flatMap { ids[$0] }.map(Int32.init) ?? -1
        var fb = [Int32](repeating: -1, count: 256)
        if byteFallback {
            for b in 0..<256 {
                let hex = String(b, radix: 16, uppercase: true)
                fb[b] = ids["<0x" + (hex.count == 1 ? "0" : "") + hex + ">"].map(Int32.init) ?? -1
            }
        }
        byteFallbackIds = fb
        self.vocab = table
        self.merges = mt
        directIds = direct
        tokenIds = ids
        idToTokenTable = ModelFactory.reverse(vocab)
        mergeList = merges
    }

    public var vocabSize: Int { tokenIds.count }
    public func tokenToId(_ token: String) -> Int? { tokenIds[token] }
    public func idToToken(_ id: Int) -> String? { id >= 0 && id < idToTokenTable.count ? idToTokenTable[id] : nil }

    /// Id of the initial symbol for scalar `i` of a word of `n` scalars (prefix/suffix aware).
    @inline(__always)
    private func symbolId(_ s: UnsafeBufferPointer<UInt32>, _ i: Int, first: Bool, last: Bool) -> Int32 {
        let c = s[i]
        let decorated = (!first && continuingSubwordPrefix != nil) || (last && endOfWordSuffix != nil)
        if !decorated {
            if c < Self.directLimit { return directIds[Int(c)] }
            return vocab.lookup(s.baseAddress! + i, 1)
        }
        var key: [UInt32] = []
        if !first, let p = continuingSubwordPrefix { key += p.scalarValues }
        key.append(c)
        if last, let e = endOfWordSuffix { key += e.scalarValues }
        return vocab.lookup(key)
    }

    public func tokenize(
        _ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken],
        cache: inout WordCache
    ) {
        if cache.lookup(s, range, into: &out) { return }
        let from = out.count
        tokenize(s, range, into: &out)
        cache.store(s, range, out, from: from)
    }

    public func tokenize(_ s: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: inout [ModelToken]) {
        let lo = range.lowerBound, hi = range.upperBound
        if lo == hi { return }
        if ignoreMerges, continuingSubwordPrefix == nil, endOfWordSuffix == nil {
            let id = vocab.lookup(s.baseAddress! + lo, hi - lo)
            if id >= 0 {
                out.append(ModelToken(id: id, start: Int32(lo), end: Int32(hi)))
                return
            }
        }
        // Symbols as a doubly linked list over arrays (HF `Word`).
        let n = hi - lo
        var ids = [Int32](); ids.reserveCapacity(n)
        var starts = [Int32](); starts.reserveCapacity(n)
        var ends = [Int32](); ends.reserveCapacity(n)
        var lastWasUnk = false
        for i in lo..<hi {
            let id = symbolId(s, i, first: i == lo, last: i == hi - 1)
            if id >= 0 {
                ids.append(id); starts.append(Int32(i)); ends.append(Int32(i + 1))
                lastWasUnk = false
                continue
            }
            if byteFallback {
                var bytes: [Int32] = []
                var ok = true
                ByteLevel.utf8(s[i]) { b in
                    let fid = byteFallbackIds[Int(b)]
                    if fid < 0 { ok = false }
                    bytes.append(fid)
                }
                if ok {
                    for b in bytes { ids.append(b); starts.append(Int32(i)); ends.append(Int32(i + 1)) }
                    lastWasUnk = false
                    continue
                }
            }
            // No unk token: the character is dropped, as in HF. (An unk token missing from the
            // vocab makes HF fail the encode; we drop the character there too.)
            guard unkId >= 0 else { lastWasUnk = false; continue }
            if fuseUnk && lastWasUnk {
                ends[ends.count - 1] = Int32(i + 1)
            } else {
                ids.append(unkId); starts.append(Int32(i)); ends.append(Int32(i + 1))
            }
            lastWasUnk = true
        }
        mergeAll(&ids, &starts, &ends)
        for k in 0..<ids.count where ids[k] >= 0 {
            out.append(ModelToken(id: ids[k], start: starts[k], end: ends[k]))
        }
    }

    /// HF `Word::merge_all`: a min-heap of (rank, position); stale entries are skipped.
    /// Merged-away symbols get id -1.
    private func mergeAll(_ ids: inout [Int32], _ starts: inout [Int32], _ ends: inout [Int32]) {
        let n = ids.count
        if n < 2 { return }
        var next = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(i + 1) }; c = n
        }
        var prev = [Int32](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = Int32(i - 1) }; c = n
        }
        next[n - 1] = -1
        var heap = MinHeap()
        heap.reserve(n)
        for i in 0..<(n - 1) {
            if let v = merges.lookup(ids[i], ids[i + 1]) {
                heap.push(v >> 32, pos: i, newId: Int32(truncatingIfNeeded: v))
            }
        }
        while let top = heap.pop() {
            let pos = top.pos
            if ids[pos] < 0 { continue }
            let nx = Int(next[pos])
            if nx < 0 { continue }
            guard let v = merges.lookup(ids[pos], ids[nx]), Int32(truncatingIfNeeded: v) == top.newId else { continue }
            ids[pos] = top.newId
            ends[pos] = ends[nx]
            ids[nx] = -1
            let nn = Int(next[nx])
            next[pos] = Int32(nn)
            if nn >= 0 { prev[nn] = Int32(pos) }
            let pv = Int(prev[pos])
            if pv >= 0, let v2 = merges.lookup(ids[pv], ids[pos]) {
                heap.push(v2 >> 32, pos: pv, newId: Int32(truncatingIfNeeded: v2))
            }
            if nn >= 0, let v3 = merges.lookup(ids[pos], ids[nn]) {
                heap.push(v3 >> 32, pos: pos, newId: Int32(truncatingIfNeeded: v3))
            }
        }
    }
}

/// Binary min-heap of merges ordered by (rank, position).
struct MinHeap {
    private var keys: [UInt64] = []  // rank << 32 | pos
    private var newIds: [Int32] = []

    mutating func reserve(_ n: Int) {
        keys.reserveCapacity(n)
        newIds.reserveCapacity(n)
    }

    mutating func push(_ rank: UInt64, pos: Int, newId: Int32) {
        keys.append(rank << 32 | UInt64(pos))
        newIds.append(newId)
        var i = keys.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if keys[p] <= keys[i] { break }
            keys.swapAt(p, i)
            newIds.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> (pos: Int, newId: Int32)? {
        guard let top = keys.first else { return nil }
        let result = (pos: Int(top & 0xFFFF_FFFF), newId: newIds[0])
        let last = keys.count - 1
        keys.swapAt(0, last)
        newIds.swapAt(0, last)
        keys.removeLast()
        newIds.removeLast()
        var i = 0
        let n = keys.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n, keys[l] < keys[m] { m = l }
            if r < n, keys[r] < keys[m] { m = r }
            if m == i { break }
            keys.swapAt(m, i)
            newIds.swapAt(m, i)
            i = m
        }
        return result
    }
}
