/// Branch-free float approximations written so that loops calling them auto-vectorise (no libm calls).
///
/// Accuracy: `exp` ~2 ulp over its range; `erf` absolute error < 2e-7; `tanh` absolute error < 3e-7.
public enum FastMath {
    /// e^x for x in [-87.3, 88.7]; clamps outside (0 / large finite values).
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        var x = x
        x = x < -87.3 ? -87.3 : x
        x = x > 88.7 ? 88.7 : x
        // k = round(x / ln 2) with the 1.5 * 2^23 trick (no SSE4.1 round instruction needed).
        let magic: Float = 12582912
        let kf = (x * 1.44269504088896341 + magic) - magic
        let r = (x - kf * 0.693145751953125) - kf * 1.428606765330187045e-06
        // Minimax polynomial for e^r on [-ln2/2, ln2/2] (Cephes expf).
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        let k = Int32(kf)
        return p * Float(bitPattern: UInt32(bitPattern: (k &+ 127) << 23))
    }

    /// tanh(x) through e^(2x); exact to ~3e-7 absolute.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        var x = x
        x = x < -9 ? -9 : x
        x = x > 9 ? 9 : x
        let e = exp(2 * x)
        return (e - 1) / (e + 1)
    }

    /// erf(x), absolute error < 2e-7 (the Chebyshev-fitted erfc of Numerical Recipes, relative error < 1.2e-7).
    @inlinable @inline(__always)
    public static func erf(_ x: Float) -> Float {
        // erfc(z) = t * exp(-z^2 - 1.26551223 + t*(1.00002368 + ...)), t = 1 / (1 + z/2), |rel err| < 1.2e-7.
        let z = x < 0 ? -x : x
        let t = 1 / (1 + 0.5 * z)
        var p: Float = 0.17087277
        p = p * t - 0.82215223
        p = p * t + 1.48851587
        p = p * t - 1.13520398
        p = p * t + 0.27886807
        p = p * t - 0.18628806
        p = p * t + 0.09678418
        p = p * t + 0.37409196
        p = p * t + 1.00002368
        p = p * t - 1.26551223
        let erfc = t * exp(-z * z + p)
        let r = 1 - erfc
        return x < 0 ? -r : r
    }
}
