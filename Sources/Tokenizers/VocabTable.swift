/// A hash map from token text (as Unicode scalar values) to token id that looks keys up
/// straight from a slice of the text being tokenized: no substring, no allocation.
///
/// Open addressing with linear probing; keys live back to back in one arena.
struct VocabTable: Sendable {
    private var arena: [UInt32] = []
    // Slot layout: keyStart, keyLength, id; `slotHash` caches the hash (0 = empty slot).
    private var slotStart: [Int32]
    private var slotLength: [Int32]
    private var slotId: [Int32]
    private var slotHash: [UInt32]
    private var mask: Int
    private(set) var count = 0
    /// Longest key, in scalars (bounds greedy longest-match searches).
    private(set) var maxKeyLength = 0

    init(capacity: Int) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        mask = cap - 1
        slotStart = [Int32](repeating: 0, count: cap)
        slotLength = [Int32](repeating: 0, count: cap)
        slotId = [Int32](repeating: -1, count: cap)
        slotHash = [UInt32](repeating: 0, count: cap)
    }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt32>, _ n: Int) -> UInt32 {
        // FNV-1a over 32-bit units with a final avalanche; never returns 0 (the empty marker).
        var h: UInt32 = 0x811C_9DC5
        for i in 0..<n { h = (h ^ p[i]) &* 0x0100_0193 }
        h ^= h >> 15
        h = h &* 0x2C1B_3C6D
        h ^= h >> 12
        return h == 0 ? 1 : h
    }

    /// Inserts `key → id`; an existing key keeps its first id (HF keeps the last one of
    /// duplicated JSON keys, but token text is unique in valid files).
    mutating func insert(_ key: [UInt32], id: Int) {
        if count * 2 >= mask + 1 { grow() }
        let h = key.withUnsafeBufferPointer { Self.hash($0.baseAddress!, $0.count) }
        var slot = Int(h) & mask
        while slotHash[slot] != 0 {
            if slotHash[slot] == h, matches(slot, key) { slotId[slot] = Int32(id); return }
            slot = (slot + 1) & mask
        }
        slotHash[slot] = h
        slotStart[slot] = Int32(arena.count)
        slotLength[slot] = Int32(key.count)
        slotId[slot] = Int32(id)
        arena.append(contentsOf: key)
        count += 1
        maxKeyLength = max(maxKeyLength, key.count)
    }

    private func matches(_ slot: Int, _ key: [UInt32]) -> Bool {
        let s = Int(slotStart[slot]), n = Int(slotLength[slot])
        guard n == key.count else { return false }
        for i in 0..<n where arena[s + i] != key[i] { return false }
        return true
    }

    private mutating func grow() {
        var bigger = VocabTable(capacity: (mask + 1))
        for slot in 0...mask where slotHash[slot] != 0 {
            let s = Int(slotStart[slot]), n = Int(slotLength[slot])
            bigger.insert(Array(arena[s..<(s + n)]), id: Int(slotId[slot]))
        }
        self = bigger
    }

    /// The id of the key `p[0..<n]`, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt32>, _ n: Int) -> Int32 {
        if n == 0 || n > maxKeyLength { return -1 }
        let h = Self.hash(p, n)
        var slot = Int(h) & mask
        return arena.withUnsafeBufferPointer { a in
            slotHash.withUnsafeBufferPointer { hashes in
                while true {
                    let sh = hashes[slot]
                    if sh == 0 { return -1 }
                    if sh == h && Int(slotLength[slot]) == n {
                        let s = Int(slotStart[slot])
                        var equal = true
                        for i in 0..<n where a[s + i] != p[i] { equal = false; break }
                        if equal { return slotId[slot] }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    func lookup(_ key: [UInt32]) -> Int32 {
        key.withUnsafeBufferPointer { $0.count == 0 ? -1 : lookup($0.baseAddress!, $0.count) }
    }
}

extension String {
    var scalarValues: [UInt32] { unicodeScalars.map(\.value) }
}
