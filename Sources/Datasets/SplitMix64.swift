/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seedable generator whose output is the same on every
/// platform and Swift version — unlike `SystemRandomNumberGenerator`, which cannot be seeded.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`: the high 64 bits of `next() * bound` (Lemire's multiply-shift, without the
    /// rejection step, so that each call consumes exactly one output; the bias is below bound / 2^64).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
