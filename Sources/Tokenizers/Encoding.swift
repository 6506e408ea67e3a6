/// The result of encoding one text (or a pair of texts), laid out like HF's `Encoding`.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var typeIds: [Int]
    public var tokens: [String]
    /// Character offsets (Unicode scalar indices) into the original text of the sequence
    /// the token came from; special tokens have `(0, 0)`.
    public var offsets: [Offset]
    public var specialTokensMask: [Int]
    public var attentionMask: [Int]
    /// For each token: 0 or 1 for the sequence it came from, nil for special tokens and padding.
    public var sequenceIds: [Int?]

    public struct Offset: Sendable, Equatable, CustomStringConvertible {
        public var start: Int
        public var end: Int
        public init(_ start: Int, _ end: Int) { self.start = start; self.end = end }
        public var description: String { "(\(start), \(end))" }
    }

    public init() {
        ids = []; typeIds = []; tokens = []; offsets = []; specialTokensMask = []; attentionMask = []; sequenceIds = []
    }

    public var count: Int { ids.count }

    mutating func append(id: Int, token: String, offset: Offset, typeId: Int, special: Bool, sequence: Int?) {
        ids.append(id)
        typeIds.append(typeId)
        tokens.append(token)
        offsets.append(offset)
        specialTokensMask.append(special ? 1 : 0)
        attentionMask.append(1)
        sequenceIds.append(sequence)
    }

    mutating func append(contentsOf other: Encoding) {
        ids += other.ids; typeIds += other.typeIds; tokens += other.tokens; offsets += other.offsets
        specialTokensMask += other.specialTokensMask; attentionMask += other.attentionMask; sequenceIds += other.sequenceIds
    }

    mutating func truncate(to n: Int, fromLeft: Bool) {
        guard count > n else { return }
        let drop = count - n
        if fromLeft {
            ids.removeFirst(drop); typeIds.removeFirst(drop); tokens.removeFirst(drop); offsets.removeFirst(drop)
            specialTokensMask.removeFirst(drop); attentionMask.removeFirst(drop); sequenceIds.removeFirst(drop)
        } else {
            ids.removeLast(drop); typeIds.removeLast(drop); tokens.removeLast(drop); offsets.removeLast(drop)
            specialTokensMask.removeLast(drop); attentionMask.removeLast(drop); sequenceIds.removeLast(drop)
        }
    }

    mutating func setTypeIds(_ t: Int) {
        for i in typeIds.indices { typeIds[i] = t }
    }

    mutating func pad(to n: Int, id: Int, typeId: Int, token: String, left: Bool) {
        guard count < n else { return }
        let k = n - count
        func put<T>(_ a: inout [T], _ v: T) {
            if left { a.insert(contentsOf: repeatElement(v, count: k), at: 0) } else { a.append(contentsOf: repeatElement(v, count: k)) }
        }
        put(&ids, id); put(&typeIds, typeId); put(&tokens, token); put(&offsets, Offset(0, 0))
        put(&specialTokensMask, 1); put(&attentionMask, 0); put(&sequenceIds, nil)
    }
}
