import Foundation

/// A counter-based random number generator: element `i` of stream `s` is a pure hash of (seed, s, i).
///
/// Nothing is stateful, so a dropout mask can be regenerated in backward instead of stored, results do not depend
/// on thread scheduling, and a run resumed at step `n` draws the same numbers as an uninterrupted one. The hash is
/// two rounds of a 32-bit integer mixer (`lowbias32`, Chris Wellons) keyed by a splitmix64 digest of the seed and
/// stream; it vectorises (32-bit multiplies and shifts only).
public struct CounterRNG: Sendable, Hashable {
    public let seed: UInt64
    public let stream: UInt64
    @usableFromInline let k1: UInt32
    @usableFromInline let k2: UInt32

    public init(seed: UInt64, stream: UInt64) {
        self.seed = seed
        self.stream = stream
        let a = CounterRNG.splitmix64(seed &+ 0x9E37_79B9_7F4A_7C15 &* (stream &+ 1))
        let b = CounterRNG.splitmix64(a ^ stream)
        k1 = UInt32(truncatingIfNeeded: a ^ (a >> 32))
        k2 = UInt32(truncatingIfNeeded: b ^ (b >> 32))
    }

    public static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable @inline(__always)
    static func mix(_ x: UInt32) -> UInt32 {
        var x = x
        x ^= x >> 16
        x = x &* 0x7FEB_352D
        x ^= x >> 15
        x = x &* 0x846C_A68B
        x ^= x >> 16
        return x
    }

    /// 32 random bits for counter `index`.
    @inlinable @inline(__always)
    public func bits(_ index: Int) -> UInt32 {
        CounterRNG.mix(CounterRNG.mix(UInt32(truncatingIfNeeded: index) &+ k1) ^ k2)
    }

    /// A uniform float in [0, 1) for counter `index` (24 random bits).
    @inlinable @inline(__always)
    public func uniform(_ index: Int) -> Float {
        Float(bits(index) >> 8) * (1.0 / 16_777_216.0)
    }

    /// The integer threshold for ``isDropped(_:threshold:)`` that drops with probability `p` (to within 2⁻²⁴).
    @inlinable
    public static func dropThreshold(_ p: Float) -> Int32 { Int32((p * 16_777_216).rounded()) }

    /// Whether counter `index` falls below the threshold: the same event as `uniform(index) < p`, compared in
    /// integers (no unsigned→float conversion, which SSE2 lacks), for dropout masks.
    @inlinable @inline(__always)
    public func isDropped(_ index: Int, threshold: Int32) -> Bool {
        Int32(bitPattern: bits(index) >> 8) < threshold
    }

    /// A standard normal float for counter `index` (Box–Muller over two counters; for initialisation, not hot loops).
    public func normal(_ index: Int) -> Float {
        let u1 = max(uniform(2 * index), 1e-7)
        let u2 = uniform(2 * index + 1)
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Float.pi * u2)
    }
}
