/// Counts occurrences of byte strings (the trainer's words) without allocating a key per
/// lookup: open addressing, keys back to back in one arena.
struct ByteKeyCounter {
    private(set) var arena: [UInt8] = []
    private(set) var keyStart: [Int] = []
    private(set) var keyLength: [Int32] = []
    private(set) var counts: [Int64] = []
    private var slots: [Int32]  // index into keyStart/... or -1
    private var hashes: [UInt32]
    private var mask: Int

    init(capacity: Int = 1 << 14) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        mask = cap - 1
        slots = [Int32](repeating: -1, count: cap)
        hashes = [UInt32](repeating: 0, count: cap)
    }

    var count: Int { counts.count }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in p { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        h ^= h >> 15
        h = h &* 0x2C1B_3C6D
        h ^= h >> 12
        return h
    }

    func key(_ i: Int) -> ArraySlice<UInt8> { arena[keyStart[i]..<(keyStart[i] + Int(keyLength[i]))] }

    mutating func add(_ key: UnsafeBufferPointer<UInt8>, _ n: Int64) {
        if counts.count * 2 >= mask + 1 { grow() }
        let h = Self.hash(key)
        var s = Int(h) & mask
        while true {
            let idx = slots[s]
            if idx < 0 { break }
            if hashes[s] == h, Int(keyLength[Int(idx)]) == key.count {
                let st = keyStart[Int(idx)]
                var eq = true
                for k in 0..<key.count where arena[st + k] != key[k] { eq = false; break }
                if eq { counts[Int(idx)] += n; return }
            }
            s = (s + 1) & mask
        }
        slots[s] = Int32(counts.count)
        hashes[s] = h
        keyStart.append(arena.count)
        keyLength.append(Int32(key.count))
        arena.append(contentsOf: key)
        counts.append(n)
    }

    private mutating func grow() {
        let cap = (mask + 1) * 2
        mask = cap - 1
        slots = [Int32](repeating: -1, count: cap)
        hashes = [UInt32](repeating: 0, count: cap)
        arena.withUnsafeBufferPointer { a in
            for i in 0..<counts.count {
                let h = Self.hash(UnsafeBufferPointer(rebasing: a[keyStart[i]..<(keyStart[i] + Int(keyLength[i]))]))
                var s = Int(h) & mask
                while slots[s] >= 0 { s = (s + 1) & mask }
                slots[s] = Int32(i)
                hashes[s] = h
            }
        }
    }

    /// Adds every word of `other` into this counter.
    mutating func merge(_ other: ByteKeyCounter) {
        other.arena.withUnsafeBufferPointer { a in
            for i in 0..<other.counts.count {
                add(
                    UnsafeBufferPointer(rebasing: a[other.keyStart[i]..<(other.keyStart[i] + Int(other.keyLength[i]))]),
                    other.counts[i])
            }
        }
    }
}
