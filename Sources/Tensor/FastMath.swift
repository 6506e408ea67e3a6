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
        // k = round(x / ln 2) with the 1.5 * 2^23 trick: the low mantissa bits of t hold k (no SSE4.1 round, and no
        // trapping Float→Int conversion, so loops vectorise).
        let magic: Float = 12582912
        let t = x * 1.44269504088896341 + magic
        let kf = t - magic
        let r = (x - kf * 0.693145751953125) - kf * 1.428606765330187045e-06
        // Minimax polynomial for e^r on [-ln2/2, ln2/2] (Cephes expf).
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        // 2^k: t's bit pattern is 0x4B400000 + k.
        let scale = Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) << 23)
        return p * scale
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

    /// erf(x), absolute error < 3e-7: a rational minimax fit x·P(x²)/Q(x²) on [-4, 4] (Eigen's float erf; outside
    /// that range erf is ±1 in float32). No exp, so it costs ~13 multiply-adds and one division.
    @inlinable @inline(__always)
    public static func erf(_ x: Float) -> Float {
        var x = x
        x = x < -4 ? -4 : x
        x = x > 4 ? 4 : x
        let x2 = x * x
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return x * p / q
    }
}
