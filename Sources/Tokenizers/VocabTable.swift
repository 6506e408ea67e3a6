/// A hash map from token text (as Unicode scalar values) to token id that looks keys up
/// straight from a slice of the text being tokenized: no substring, no allocation.
///
/// Open addressing with linear probing. A slot is 16 bytes (hash, key position and length,
/// id), so a probe touches one cache line; keys live back to back in one arena.
struct VocabTable: Sendable {
    struct Slot: Sendable {
        var hash: UInt32  // 0 = empty
        var length: Int32
        var start: Int32
        var id: Int32
    }

    private var arena: [UInt32] = []
    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0
    /// Longest key, in scalars (bounds greedy longest-match searches).
    private(set) var maxKeyLength = 0

    init(capacity: Int) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        mask = cap - 1
        slots = [Slot](repeating: Slot(hash: 0, length: 0, start: 0, id: -1), count: cap)
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

    /// Inserts `key → id`; a key inserted again takes the new id (as the last of duplicated
    /// JSON keys wins in HF).
    mutating func insert(_ key: [UInt32], id: Int) {
        if count * 2 >= mask + 1 { grow() }
        let h = key.withUnsafeBufferPointer { Self.hash($0.baseAddress!, $0.count) }
        var s = Int(h) & mask
        while slots[s].hash != 0 {
            if slots[s].hash == h, matches(slots[s], key) {
                slots[s].id = Int32(id)
                return
            }
            s = (s + 1) & mask
        }
        slots[s] = Slot(hash: h, length: Int32(key.count), start: Int32(arena.count), id: Int32(id))
        arena.append(contentsOf: key)
        count += 1
        maxKeyLength = max(maxKeyLength, key.count)
    }

    private func matches(_ slot: Slot, _ key: [UInt32]) -> Bool {
        let s = Int(slot.start), n = Int(slot.length)
        guard n == key.count else { return false }
        for i in 0..<n where arena[s + i] != key[i] { return false }
        return true
    }

    private mutating func grow() {
        var bigger = VocabTable(capacity: mask + 1)
        for slot in slots where slot.hash != 0 {
            let s = Int(slot.start), n = Int(slot.length)
            bigger.insert(Array(arena[s..<(s + n)]), id: Int(slot.id))
        }
        self = bigger
    }

    /// The id of the key `p[0..<n]`, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt32>, _ n: Int) -> Int32 {
        if n == 0 || n > maxKeyLength { return -1 }
        let h = Self.hash(p, n)
        let mask = self.mask
        return arena.withUnsafeBufferPointer { a in
            slots.withUnsafeBufferPointer { slots in
                var s = Int(h) & mask
                while true {
                    let slot = slots[s]
                    if slot.hash == 0 { return -1 }
                    if slot.hash == h && Int(slot.length) == n {
                        let st = Int(slot.start)
                        var equal = true
                        for i in 0..<n where a[st + i] != p[i] {
                            equal = false
                            break
                        }
                        if equal { return slot.id }
                    }
                    s = (s + 1) & mask
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
