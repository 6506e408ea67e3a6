import Foundation

/// Trains a byte-level BPE (GPT-2 style) from a corpus, with HF `BpeTrainer`'s algorithm:
/// the same word splitting, alphabet order, merge order (highest count, then lowest pair
/// of ids) and stopping rules, so the same corpus gives the same merges as HF.
///
/// Pair counts are updated incrementally after each merge (only the words containing the
/// merged pair are touched) and candidates sit in a lazily corrected max-heap.
public struct BPETrainer: Sendable {
    public var vocabSize: Int
    /// Merges whose pair occurs fewer times than this are not made (training stops).
    public var minFrequency: Int
    /// Added first, with ids 0, 1, ...; never split (not matched inside the corpus).
    public var specialTokens: [String]
    /// Prefix every line with a space (GPT-2: false, RoBERTa: true).
    public var addPrefixSpace: Bool
    /// Threads used to count words.
    public var threads: Int

    public init(
        vocabSize: Int = 8192, minFrequency: Int = 2, specialTokens: [String] = [], addPrefixSpace: Bool = false,
        threads: Int = 2
    ) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
        self.addPrefixSpace = addPrefixSpace
        self.threads = threads
    }

    /// What training produced: the vocab in id order and the merges in rank order.
    public struct Result: Sendable {
        /// Token text by id (byte-level characters).
        public var vocab: [String]
        public var merges: [(String, String)]
        public var specialTokens: [String]
        public var addPrefixSpace: Bool
        /// Number of distinct pre-tokenized words seen.
        public var uniqueWords: Int

        /// The trained tokenizer as HF `tokenizer.json` text (deterministic).
        public func tokenizerJSON() -> String {
            var added: [JSONValue] = []
            for (i, s) in specialTokens.enumerated() {
                added.append(
                    .object([
                        ("id", .number(Double(i))), ("content", .string(s)), ("single_word", .bool(false)),
                        ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                        ("special", .bool(true)),
                    ]))
            }
            func byteLevel(_ prefix: Bool) -> JSONValue {
                .object([
                    ("type", .string("ByteLevel")), ("add_prefix_space", .bool(prefix)), ("trim_offsets", .bool(true)),
                    ("use_regex", .bool(true)),
                ])
            }
            let model: JSONValue = .object([
                ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null),
                ("continuing_subword_prefix", .null),
                ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
                ("ignore_merges", .bool(false)),
                ("vocab", .object(vocab.enumerated().map { ($0.element, .number(Double($0.offset))) })),
                ("merges", .array(merges.map { .array([.string($0.0), .string($0.1)]) })),
            ])
            let root: JSONValue = .object([
                ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(added)),
                ("normalizer", .null), ("pre_tokenizer", byteLevel(addPrefixSpace)),
                ("post_processor", byteLevel(addPrefixSpace)),
                ("decoder", byteLevel(addPrefixSpace)), ("model", model),
            ])
            return JSONWriter.write(root, pretty: true) + "\n"
        }

        /// The trained tokenizer, ready to encode.
        public func tokenizer() throws -> Tokenizer {
            try Tokenizer(json: Data(tokenizerJSON().utf8))
        }
    }

    /// Trains on UTF-8 text; like HF's `train(files)`, each line (with its line ending) is
    /// one sequence. Invalid UTF-8 is decoded with replacement characters.
    public func train(corpus: [UInt8]) throws -> Result {
        guard vocabSize > specialTokens.count + 256 else {
            throw TokenizerError(
                .invalid, path: "vocab_size",
                "vocab size \(vocabSize) leaves no room for merges (\(specialTokens.count) special tokens + 256 bytes)")
        }
        let counter = countWords(corpus)
        return merge(counter)
    }

    public func train(lines: [String]) throws -> Result {
        var corpus: [UInt8] = []
        for l in lines {
            corpus += l.utf8
            if !l.hasSuffix("\n") { corpus.append(0x0A) }
        }
        return try train(corpus: corpus)
    }

    // MARK: Word counting

    func countWords(_ corpus: [UInt8]) -> ByteKeyCounter {
        let n = corpus.count
        let workers = max(1, min(threads, n / 65536 + 1))
        // Chunk boundaries just after a newline.
        var bounds = [0]
        for w in 1..<workers {
            var b = n * w / workers
            while b < n, corpus[b - 1] != 0x0A { b += 1 }
            bounds.append(max(b, bounds.last!))
        }
        bounds.append(n)
        var counters = [ByteKeyCounter](repeating: ByteKeyCounter(), count: workers)
        let addPrefix = addPrefixSpace
        let chunks = bounds
        corpus.withUnsafeBufferPointer { c in
            nonisolated(unsafe) let c = c
            counters.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var counter = ByteKeyCounter(capacity: 1 << 16)
                    Self.countWords(
                        UnsafeBufferPointer(rebasing: c[chunks[w]..<chunks[w + 1]]), addPrefixSpace: addPrefix,
                        into: &counter)
                    out[w] = counter
                }
            }
        }
        var total = counters[0]
        for w in 1..<workers { total.merge(counters[w]) }
        return total
    }

    static func countWords(_ text: UnsafeBufferPointer<UInt8>, addPrefixSpace: Bool, into counter: inout ByteKeyCounter)
    {
        var scalars: [UInt32] = []
        var scratch: [UInt8] = []
        var i = 0
        let n = text.count
        while i < n {
            var e = i
            while e < n, text[e] != 0x0A { e += 1 }
            if e < n { e += 1 }  // keep the line ending, as HF does
            // Decode the line.
            scalars.removeAll(keepingCapacity: true)
            if addPrefixSpace, text[i] != 0x20 { scalars.append(0x20) }
            var it = UnsafeBufferPointer(rebasing: text[i..<e]).makeIterator()
            var utf8 = UTF8()
            loop: while true {
                switch utf8.decode(&it) {
                case .scalarValue(let u): scalars.append(u.value)
                case .emptyInput: break loop
                case .error: scalars.append(0xFFFD)
                }
            }
            scalars.withUnsafeBufferPointer { s in
                var k = 0
                while k < s.count {
                    let end = ByteLevel.gpt2MatchEnd(s, k, s.count)
                    scratch.removeAll(keepingCapacity: true)
                    for q in k..<end { ByteLevel.utf8(s[q]) { scratch.append($0) } }
                    scratch.withUnsafeBufferPointer { counter.add($0, 1) }
                    k = end
                }
            }
            i = e
        }
    }

    // MARK: Merging

    private struct HeapEntry {
        var count: Int64
        var a: Int32
        var b: Int32
        var pos: Int32  // index into the position lists

        /// Max-heap order: higher count first, then the smaller pair.
        @inline(__always)
        static func before(_ x: HeapEntry, _ y: HeapEntry) -> Bool {
            if x.count != y.count { return x.count > y.count }
            if x.a != y.a { return x.a < y.a }
            return x.b < y.b
        }
    }

    private struct Heap {
        var items: [HeapEntry] = []
        mutating func push(_ e: HeapEntry) {
            items.append(e)
            var i = items.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                if !HeapEntry.before(items[i], items[p]) { break }
                items.swapAt(i, p)
                i = p
            }
        }
        mutating func pop() -> HeapEntry? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var i = 0
                let n = items.count
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < n, HeapEntry.before(items[l], items[m]) { m = l }
                    if r < n, HeapEntry.before(items[r], items[m]) { m = r }
                    if m == i { break }
                    items.swapAt(i, m)
                    i = m
                }
            }
            return top
        }
    }

    func merge(_ words: ByteKeyCounter) -> Result {
        // Vocab: special tokens, then the 256 byte characters in code point order.
        var tokenBytes: [[UInt8]] = []
        var vocabStrings: [String] = []
        var known: [[UInt8]: Int32] = [:]
        var specialSet = Set<String>()
        for s in specialTokens where !specialSet.contains(s) {
            specialSet.insert(s)
            vocabStrings.append(s)
            tokenBytes.append([])  // never merged
        }
        var byteId = [Int32](repeating: 0, count: 256)
        let order = (0..<256).sorted { ByteLevel.byteToScalar[$0] < ByteLevel.byteToScalar[$1] }
        for b in order {
            let s = String(Unicode.Scalar(ByteLevel.byteToScalar[b])!)
            if let existing = vocabStrings.firstIndex(of: s) {  // a special token spelled like a byte char
                byteId[b] = Int32(existing)
                tokenBytes[existing] = [UInt8(b)]
                known[[UInt8(b)]] = Int32(existing)
                continue
            }
            byteId[b] = Int32(vocabStrings.count)
            known[[UInt8(b)]] = Int32(vocabStrings.count)
            vocabStrings.append(s)
            tokenBytes.append([UInt8(b)])
        }

        // Words as symbol ids, back to back.
        let nWords = words.count
        var symbols = [Int32]()
        symbols.reserveCapacity(words.arena.count)
        var wordStart = [Int](repeating: 0, count: nWords + 1)
        var wordLength = [Int32](repeating: 0, count: nWords)
        for w in 0..<nWords {
            wordStart[w] = symbols.count
            for b in words.key(w) { symbols.append(byteId[Int(b)]) }
            wordLength[w] = Int32(symbols.count - wordStart[w])
        }
        wordStart[nWords] = symbols.count
        let counts = words.counts

        // Initial pair counts and where each pair occurs.
        var pairCounts: [UInt64: Int64] = [:]
        var where0: [UInt64: [Int32]] = [:]
        for w in 0..<nWords {
            let st = wordStart[w], len = Int(wordLength[w])
            if len < 2 { continue }
            for k in st..<(st + len - 1) {
                let key = MergeTable.key(symbols[k], symbols[k + 1])
                pairCounts[key, default: 0] += counts[w]
                where0[key, default: []].appendUnique(Int32(w))
            }
        }
        var positions: [[Int32]] = []
        positions.reserveCapacity(where0.count * 2)
        var heap = Heap()
        heap.items.reserveCapacity(where0.count * 2)
        for (key, pos) in where0 {
            let c = pairCounts[key]!
            if c > 0 {
                heap.push(
                    HeapEntry(
                        count: c, a: Int32(truncatingIfNeeded: key >> 32), b: Int32(truncatingIfNeeded: key),
                        pos: Int32(positions.count)))
                positions.append(pos)
            }
        }
        where0 = [:]

        var merges: [(Int32, Int32)] = []
        var whereToUpdate: [UInt64: [Int32]] = [:]
        while vocabStrings.count < vocabSize {
            guard var top = heap.pop() else { break }
            let key = MergeTable.key(top.a, top.b)
            let current = pairCounts[key] ?? 0
            if top.count != current {
                top.count = current
                heap.push(top)
                continue
            }
            if top.count < 1 || Int64(minFrequency) > top.count { break }

            let newBytes = tokenBytes[Int(top.a)] + tokenBytes[Int(top.b)]
            let newId: Int32
            if let k = known[newBytes] {
                newId = k
            } else {
                newId = Int32(vocabStrings.count)
                known[newBytes] = newId
                tokenBytes.append(newBytes)
                vocabStrings.append(vocabStrings[Int(top.a)] + vocabStrings[Int(top.b)])
            }
            merges.append((top.a, top.b))

            // Merge in every word of this entry's position list (HF `Word::merge`).
            symbols.withUnsafeMutableBufferPointer { sym in
                for w32 in positions[Int(top.pos)] {
                    let w = Int(w32)
                    let st = wordStart[w]
                    var len = Int(wordLength[w])
                    let cw = counts[w]
                    var i = 0
                    while i < len {
                        if sym[st + i] == top.a, i + 1 < len, sym[st + i + 1] == top.b {
                            if i > 0 {
                                let prev = sym[st + i - 1]
                                pairCounts[MergeTable.key(prev, top.a), default: 0] -= cw
                                let k2 = MergeTable.key(prev, newId)
                                pairCounts[k2, default: 0] += cw
                                whereToUpdate[k2, default: []].appendUnique(w32)
                            }
                            sym[st + i] = newId
                            // Remove the second symbol.
                            var q = st + i + 1
                            while q < st + len - 1 { sym[q] = sym[q + 1]; q += 1 }
                            len -= 1
                            if i < len - 1 {
                                let next = sym[st + i + 1]
                                pairCounts[MergeTable.key(top.b, next), default: 0] -= cw
                                let k3 = MergeTable.key(newId, next)
                                pairCounts[k3, default: 0] += cw
                                whereToUpdate[k3, default: []].appendUnique(w32)
                            }
                        }
                        i += 1
                    }
                    wordLength[w] = Int32(len)
                }
            }
            for (k, pos) in whereToUpdate {
                let c = pairCounts[k] ?? 0
                if c > 0 {
                    heap.push(
                        HeapEntry(
                            count: c, a: Int32(truncatingIfNeeded: k >> 32), b: Int32(truncatingIfNeeded: k),
                            pos: Int32(positions.count)))
                    positions.append(pos)
                }
            }
            whereToUpdate.removeAll(keepingCapacity: true)
        }

        return Result(
            vocab: vocabStrings, merges: merges.map { (vocabStrings[Int($0.0)], vocabStrings[Int($0.1)]) },
            specialTokens: Array(vocabStrings.prefix(specialSet.count)), addPrefixSpace: addPrefixSpace,
            uniqueWords: nWords)
    }
}

extension Array where Element == Int32 {
    /// Appends unless `x` is already the last element (positions arrive word by word).
    @inline(__always)
    mutating func appendUnique(_ x: Int32) {
        if last != x { append(x) }
    }
}
