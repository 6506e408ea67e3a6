/// A batch of right-padded rows: `[B, T]` ids, the attention mask and per-position targets (-100: no loss).
public struct LMBatch: Sendable {
    public var batch: Int
    public var time: Int
    public var ids: [Int32]
    public var mask: [Int32]
    public var targets: [Int32]
    /// Real (unpadded) tokens.
    public var tokens: Int
    /// Positions with a target.
    public var targetCount: Int { targets.reduce(0) { $0 + ($1 == -100 ? 0 : 1) } }

    public init(batch: Int, time: Int, ids: [Int32], mask: [Int32], targets: [Int32], tokens: Int) {
        self.batch = batch
        self.time = time
        self.ids = ids
        self.mask = mask
        self.targets = targets
        self.tokens = tokens
    }
}
