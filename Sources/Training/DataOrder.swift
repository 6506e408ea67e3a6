import Datasets

/// Where a ``DataOrder`` is: the epoch and how many rows of its permutation were handed out. Saved in checkpoints.
public struct DataPosition: Codable, Hashable, Sendable {
    public var epoch: Int
    public var offset: Int

    public init(epoch: Int = 0, offset: Int = 0) {
        self.epoch = epoch
        self.offset = offset
    }
}

/// A resumable, seeded order over the rows of a data set: each epoch is a permutation drawn from (seed, epoch)
/// alone, so a run resumed from a saved ``DataPosition`` hands out exactly the batches an uninterrupted run would.
///
/// Batches are a fixed number of rows, or as many rows as fit a token budget once padded to the batch's longest
/// row (`rows × longest ≤ budget`, at least one row). A batch never spans two epochs.
public struct DataOrder: Sendable {
    public enum Batching: Codable, Hashable, Sendable {
        case rows(Int)
        case tokens(Int)
    }

    public let rowCount: Int
    public let seed: UInt64
    public let batching: Batching
    public let shuffle: Bool
    public private(set) var position: DataPosition
    private let lengths: [Int]
    private var permutation: [Int]

    /// `lengths[i]` is row i's token count (used by the token budget).
    public init(lengths: [Int], seed: UInt64, batching: Batching, shuffle: Bool = true, position: DataPosition = .init()) {
        rowCount = lengths.count
        self.lengths = lengths
        self.seed = seed
        self.batching = batching
        self.shuffle = shuffle
        self.position = position
        permutation = []
        permutation = makePermutation(epoch: position.epoch)
    }

    /// The rows of epoch `epoch` in order: a Fisher–Yates shuffle driven by SplitMix64 seeded from (seed, epoch).
    public func makePermutation(epoch: Int) -> [Int] {
        var order = Array(0..<rowCount)
        guard shuffle, rowCount > 1 else { return order }
        var rng = SplitMix64(seed: seed ^ (UInt64(epoch) &+ 1) &* 0xD1B5_4A32_D192_ED03)
        for i in stride(from: rowCount - 1, to: 0, by: -1) {
            order.swapAt(i, rng.next(below: i + 1))
        }
        return order
    }

    /// Moves to a saved position (a resumed run).
    public mutating func restore(_ saved: DataPosition) {
        position = saved
        permutation = makePermutation(epoch: saved.epoch)
    }

    /// The next batch's row indices (empty only when there are no rows), advancing the position.
    public mutating func nextBatch() -> [Int] {
        guard rowCount > 0 else { return [] }
        if position.offset >= rowCount {
            position = DataPosition(epoch: position.epoch + 1, offset: 0)
            permutation = makePermutation(epoch: position.epoch)
        }
        var batch: [Int] = []
        switch batching {
        case .rows(let n):
            let end = min(rowCount, position.offset + max(1, n))
            batch = Array(permutation[position.offset..<end])
        case .tokens(let budget):
            var longest = 0
            var i = position.offset
            while i < rowCount {
                let l = max(longest, lengths[permutation[i]])
                if !batch.isEmpty && l * (batch.count + 1) > budget { break }
                batch.append(permutation[i])
                longest = l
                i += 1
            }
        }
        position.offset += batch.count
        return batch
    }
}
