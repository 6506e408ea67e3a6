/// Id → token text for everything a tokenizer can emit (model vocab and added tokens),
/// shared by reference so encodings do not store a `String` per token.
public final class TokenVocabulary: Sendable {
    let tokens: [String]

    init(_ tokens: [String]) { self.tokens = tokens }

    static let empty = TokenVocabulary([])

    @inline(__always)
    public func token(_ id: Int) -> String { id >= 0 && id < tokens.count ? tokens[id] : "" }
}

/// The result of encoding one text (or a pair of texts), with the fields of HF's `Encoding`.
///
/// Stored as one array of compact records; the public arrays are computed on access.
public struct Encoding: Sendable, Equatable {
    struct Item: Sendable, Equatable {
        var id: Int32
        var typeId: Int32
        var start: Int32
        var end: Int32
        /// 0 or 1 for the sequence the token came from, -1 for special tokens and padding.
        var sequence: Int8
        var special: Bool
        var attention: Bool
        /// The pre-tokenizer piece (word) of its sequence the token came from, -1 for special tokens and padding.
        var word: Int32 = -1
    }

    var items: [Item] = []
    var vocabulary: TokenVocabulary
    /// The windows cut off by truncation with overflow (HF `overflowing`), each post-processed
    /// and padded like this one. Only single sequences produce them.
    public var overflowing: [Encoding] = []

    public struct Offset: Sendable, Equatable, CustomStringConvertible {
        public var start: Int
        public var end: Int
        public init(_ start: Int, _ end: Int) { self.start = start; self.end = end }
        public var description: String { "(\(start), \(end))" }
    }

    public init() { vocabulary = .empty }

    init(vocabulary: TokenVocabulary, capacity: Int = 0) {
        self.vocabulary = vocabulary
        items.reserveCapacity(capacity)
    }

    public static func == (a: Encoding, b: Encoding) -> Bool { a.items == b.items && a.overflowing == b.overflowing }

    public var count: Int { items.count }
    public var ids: [Int] { items.map { Int($0.id) } }
    public var typeIds: [Int] { items.map { Int($0.typeId) } }
    public var tokens: [String] { items.map { vocabulary.token(Int($0.id)) } }
    /// Character offsets (Unicode scalar indices, what Python's `str` indexes) into the
    /// text the token came from; special tokens and padding have `(0, 0)`.
    public var offsets: [Offset] { items.map { Offset(Int($0.start), Int($0.end)) } }
    public var specialTokensMask: [Int] { items.map { $0.special ? 1 : 0 } }
    public var attentionMask: [Int] { items.map { $0.attention ? 1 : 0 } }
    public var sequenceIds: [Int?] { items.map { $0.sequence < 0 ? nil : Int($0.sequence) } }
    /// HF `word_ids`: for each token, the index of the word it belongs to in its sequence — the pre-tokenizer
    /// piece (or added token) it was made from, counted from 0 in each text of a pair — or nil for special tokens
    /// and padding. The pieces of one word (`un`, `##believ`, `##able`) share it.
    public var wordIds: [Int?] { items.map { $0.word < 0 ? nil : Int($0.word) } }

    /// Ids as 32-bit integers (the width token shards store).
    public var ids32: [Int32] { items.map(\.id) }

    @inline(__always)
    mutating func append(id: Int, offset: Offset, typeId: Int, special: Bool, sequence: Int?, word: Int32 = -1) {
        items.append(
            Item(
                id: Int32(id), typeId: Int32(typeId), start: Int32(offset.start), end: Int32(offset.end),
                sequence: Int8(sequence ?? -1), special: special, attention: true, word: word))
    }

    @inline(__always)
    mutating func append(id: Int32, start: Int32, end: Int32, typeId: Int32, sequence: Int8, word: Int32) {
        items.append(
            Item(
                id: id, typeId: typeId, start: start, end: end, sequence: sequence, special: false, attention: true,
                word: word))
    }

    mutating func append(contentsOf other: Encoding) {
        items += other.items
        if vocabulary.tokens.isEmpty { vocabulary = other.vocabulary }
    }

    /// Appends `other`'s tokens with their type id replaced.
    mutating func append(contentsOf other: Encoding, typeId: Int32) {
        let start = items.count
        items += other.items
        for i in start..<items.count { items[i].typeId = typeId }
        if vocabulary.tokens.isEmpty { vocabulary = other.vocabulary }
    }

    /// HF `Encoding::truncate`: keeps the first window of `maxLength` tokens (the last one when
    /// truncating from the left) and puts the following windows, overlapping by `stride`
    /// tokens, into `overflowing`.
    mutating func truncate(to maxLength: Int, stride: Int, fromLeft: Bool) {
        let n = count
        guard maxLength < n else { return }
        if maxLength == 0 {
            var whole = self
            whole.overflowing = []
            items = []
            overflowing = [whole]
            return
        }
        let step = max(1, maxLength - min(stride, maxLength - 1))
        var windows: [Range<Int>] = []
        if fromLeft {
            var stop = n
            while true {
                let start = max(0, stop - maxLength)
                windows.append(start..<stop)
                if start == 0 { break }
                stop -= step
            }
        } else {
            var start = 0
            while true {
                let stop = min(start + maxLength, n)
                windows.append(start..<stop)
                if stop == n { break }
                start += step
            }
        }
        let all = items
        items = Array(all[windows[0]])
        overflowing = windows.dropFirst().map { w in
            var e = Encoding(vocabulary: vocabulary)
            e.items = Array(all[w])
            return e
        }
    }

    mutating func truncate(to n: Int, fromLeft: Bool) {
        guard count > n else { return }
        if fromLeft { items.removeFirst(count - n) } else { items.removeLast(count - n) }
    }

    mutating func setTypeIds(_ t: Int) {
        for i in items.indices { items[i].typeId = Int32(t) }
    }

    mutating func setOffset(_ i: Int, _ o: Offset) {
        items[i].start = Int32(o.start)
        items[i].end = Int32(o.end)
    }

    mutating func pad(to n: Int, id: Int, typeId: Int, left: Bool) {
        for i in overflowing.indices { overflowing[i].pad(to: n, id: id, typeId: typeId, left: left) }
        guard count < n else { return }
        let pad = Item(
            id: Int32(id), typeId: Int32(typeId), start: 0, end: 0, sequence: -1, special: true, attention: false)
        if left {
            items.insert(contentsOf: repeatElement(pad, count: n - count), at: 0)
        } else {
            items.append(contentsOf: repeatElement(pad, count: n - count))
        }
    }
}
