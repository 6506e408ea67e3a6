import Foundation

/// A linear or logarithmic map from data values to pixels, with "nice" ticks (1, 2, 5 × 10ᵏ; decades for log).
struct Scale: Hashable {
    enum Kind: Hashable { case linear, log }

    var kind: Kind
    /// Data domain after widening to nice tick values.
    var lower: Double
    var upper: Double
    /// Pixel range (may be reversed, as for y axes).
    var from: Double
    var to: Double
    var ticks: [Double]

    /// A linear scale whose domain covers `values` (and `include`, e.g. 0 for bars), widened to nice ticks.
    static func linear(covering values: [Double], include: [Double] = [], pixels: (Double, Double), tickCount: Int = 5)
        -> Scale
    {
        let all = (values + include).filter(\.isFinite)
        var lo = all.min() ?? 0, hi = all.max() ?? 1
        if lo == hi {
            // A flat series still needs an axis: open a unit (or 10%) band around it.
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
            if include.contains(0) { lo = min(lo + pad, 0) }
        }
        let step = niceStep((hi - lo) / Double(max(1, tickCount)))
        let a = (lo / step).rounded(.down) * step, b = (hi / step).rounded(.up) * step
        var ticks: [Double] = []
        var t = a
        while t <= b + step * 1e-9, ticks.count < 50 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return Scale(kind: .linear, lower: a, upper: b, from: pixels.0, to: pixels.1, ticks: ticks)
    }

    /// A log₁₀ scale over positive values, widened to whole decades; ticks at 1, 2, 5 × 10ᵏ when the span is
    /// at most two decades, else at decades.
    static func log(covering values: [Double], pixels: (Double, Double)) -> Scale {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        let lo = Foundation.log10(positive.min() ?? 1), hi = Foundation.log10(positive.max() ?? 10)
        var a = lo.rounded(.down), b = hi.rounded(.up)
        if a == b { b += 1 }
        if b - a > 12 { a = b - 12 }
        var ticks: [Double] = []
        for k in Int(a)...Int(b) {
            let base = Foundation.pow(10, Double(k))
            for m in (b - a <= 2 ? [1.0, 2, 5] : [1.0]) where Foundation.log10(base * m) <= b + 1e-9 {
                ticks.append(base * m)
            }
        }
        return Scale(
            kind: .log, lower: Foundation.pow(10, a), upper: Foundation.pow(10, b), from: pixels.0, to: pixels.1,
            ticks: ticks)
    }

    /// The pixel position of a value (values outside the domain map outside the range; log clamps at ≤ 0).
    func callAsFunction(_ v: Double) -> Double {
        let f: Double
        switch kind {
        case .linear: f = upper == lower ? 0.5 : (v - lower) / (upper - lower)
        case .log:
            let lv = Foundation.log10(max(v, lower / 10)), la = Foundation.log10(lower), lb = Foundation.log10(upper)
            f = (lv - la) / (lb - la)
        }
        return from + f * (to - from)
    }

    /// Tick label text, with as many decimals as the tick step needs.
    func label(_ t: Double) -> String {
        switch kind {
        case .log: return t >= 1 && t < 1e15 ? Format.count(Int(t.rounded())) : String(format: "%.0e", t)
        case .linear:
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            let digits = max(0, min(6, Int((-Foundation.log10(step)).rounded(.up))))
            return Format.fixed(t, digits)
        }
    }

    /// The nice step ≥ `raw`: 1, 2 or 5 times a power of ten.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * p >= raw * (1 - 1e-12) { return m * p }
        return 10 * p
    }
}
