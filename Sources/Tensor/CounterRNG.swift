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

    /// Writes dropout multipliers for counters `offset ..< offset + count`: 0 where the element is dropped (with
    /// probability `p`, quantised to a multiple of 2⁻¹⁶), else `scale`.
    ///
    /// One 32-bit hash serves two neighbouring elements (counter c uses the low or high 16 bits of `bits(c >> 1)`),
    /// halving the hashing cost; the result depends only on (seed, stream, counter), not on how a tensor is chunked.
    @inlinable
    public func fillDropoutMultipliers(
        _ dst: UnsafeMutablePointer<Float>, count n: Int, offset: Int, p: Float, scale: Float
    ) {
        let t = Int32((p * 65536).rounded())
        @inline(__always) func single(_ c: Int) -> Float {
            let h = bits(c >> 1) >> UInt32((c & 1) << 4)
            return Int32(h & 0xFFFF) < t ? 0 : scale
        }
        var i = 0
        if n > 0 && offset & 1 == 1 {
            dst[0] = single(offset)
            i = 1
        }
        let pairs = (n - i) / 2
        let firstPair = (offset + i) >> 1
        let out = dst + i
        for j in 0..<pairs {
            let h = bits(firstPair + j)
            out[2 * j] = Int32(h & 0xFFFF) < t ? 0 : scale
            out[2 * j + 1] = Int32(h >> 16) < t ? 0 : scale
        }
        i += 2 * pairs
        if i < n { dst[i] = single(offset + i) }
    }

    /// A standard normal float for counter `index` (Box–Muller over two counters; for initialisation, not hot loops).
    public func normal(_ index: Int) -> Float {
        let u1 = max(uniform(2 * index), 1e-7)
        let u2 = uniform(2 * index + 1)
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Float.pi * u2)
    }
}
