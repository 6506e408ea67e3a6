import Foundation

/// Number formatting shared by the HTML and terminal renderers, independent of the locale (a report reads the
/// same everywhere, and tests can look for the exact strings).
enum Format {
    /// `digits` decimals, with no "-0.000".
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "inf" : "-inf") }
        let s = String(format: "%.\(digits)f", x)
        if s.hasPrefix("-"), s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(s.dropFirst()) }
        return s
    }

    /// A metric value: 3 decimals in the usual ranges, fewer for large values (perplexity, MSE), scientific
    /// notation below 0.001 (a tiny MSE must not print as 0.000).
    static func metric(_ x: Double) -> String {
        let a = abs(x)
        if a >= 1000 { return fixed(x, 0) }
        if a >= 100 { return fixed(x, 1) }
        if a >= 10 { return fixed(x, 2) }
        // Below 1e-12 is rounding noise (an ECE of 1e-17 is a perfect 0), not a value to print in e-notation.
        if a >= 0.001 || a < 1e-12 { return fixed(x, 3) }
        return x.isFinite ? String(format: "%.2e", x) : fixed(x, 0)
    }

    /// A perplexity: two decimals (whole numbers from 1000 up), the same in a column of very different values.
    static func perplexity(_ x: Double) -> String { fixed(x, abs(x) >= 1000 ? 0 : 2) }

    /// A signed difference: "+0.012", "-0.004", "0.000".
    static func delta(_ x: Double) -> String {
        let s = metric(x)
        return s.hasPrefix("-") || s == metric(0) ? s : "+" + s
    }

    /// An interval "[lower, upper]".
    static func interval(_ lower: Double, _ upper: Double, signed: Bool = false) -> String {
        signed ? "[\(delta(lower)), \(delta(upper))]" : "[\(metric(lower)), \(metric(upper))]"
    }

    /// A p-value: three decimals, or "<0.001".
    static func pValue(_ p: Double) -> String { p < 0.001 ? "<0.001" : fixed(p, 3) }

    /// "p=0.412" or "p<0.001".
    static func pLabel(_ p: Double) -> String { p < 0.001 ? "p<0.001" : "p=" + fixed(p, 3) }

    /// A count with thin-space-free thousands separators ("12,345"), locale-independent.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A relative change "−23.4%" / "+5.0%" from `before` to `after`.
    static func change(from before: Double, to after: Double) -> String {
        guard before != 0 else { return "n/a" }
        let pct = (after - before) / before * 100
        let s = fixed(pct, 1)
        return (s.hasPrefix("-") || s == "0.0" ? s : "+" + s) + "%"
    }

    /// An SVG coordinate: one decimal, trailing ".0" dropped.
    static func coordinate(_ x: Double) -> String {
        let s = fixed((x * 10).rounded() / 10, 1)
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }
}
