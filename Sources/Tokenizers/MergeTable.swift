/// Hash map from a pair of token ids to (merge rank, merged token id).
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        mask = cap - 1
        keys = [UInt64](repeating: Self.empty, count: cap)
        values = [UInt64](repeating: 0, count: cap)
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always)
    private static func slot(_ k: UInt64, _ mask: Int) -> Int {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// Inserts unless present (the first, lowest-rank merge of a pair wins, as in HF).
    mutating func insert(_ a: Int32, _ b: Int32, rank: Int32, newId: Int32) {
        if count * 2 >= mask + 1 { grow() }
        let k = Self.key(a, b)
        var s = Self.slot(k, mask)
        while keys[s] != Self.empty {
            if keys[s] == k { return }
            s = (s + 1) & mask
        }
        keys[s] = k
        values[s] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: newId))
        count += 1
    }

    private mutating func grow() {
        var bigger = MergeTable(capacity: mask + 1)
        for s in 0...mask where keys[s] != Self.empty {
            let v = values[s]
            bigger.insert(
                Int32(truncatingIfNeeded: keys[s] >> 32), Int32(truncatingIfNeeded: keys[s]),
                rank: Int32(truncatingIfNeeded: v >> 32), newId: Int32(truncatingIfNeeded: v))
        }
        self = bigger
    }

    /// (rank << 32 | newId) or nil.
    @inline(__always)
    func lookup(_ a: Int32, _ b: Int32) -> UInt64? {
        let k = Self.key(a, b)
        return keys.withUnsafeBufferPointer { kp in
            var s = Self.slot(k, mask)
            while true {
                let x = kp[s]
                if x == k { return values[s] }
                if x == Self.empty { return nil }
                s = (s + 1) & mask
            }
        }
    }
}
