import Foundation

/// Renders a `Report` as plain-text tables for `finetunectl report`: tasks × metrics with intervals and, per
/// baseline, the delta and its p-value; then the perplexity comparison.
///
/// Names are made safe for a terminal: control characters (escape sequences included) become `?`, so a label
/// cannot move the cursor or recolour the screen. Widths count Characters, which aligns for most scripts but
/// not for East Asian wide characters or emoji.
public enum TerminalReportRenderer {
    /// The longest name shown in a cell; longer ones end in "…".
    public static let maximumCellWidth = 28

    /// `htmlPath`, when given, ends the text as "HTML report: PATH" (the path printed as given, control characters
    /// replaced).
    public static func render(_ r: Report, htmlPath: String? = nil) -> String {
        var out = "\(safe(r.pipeline))"
        if let run = r.run { out += " · run \(safe(run))" }
        out += " · model \(safe(r.model))"
        if let b = r.baseModel { out += " (base \(safe(b)))" }
        out += "\n"
        if let n = r.notice { out += "NOTE: \(safe(n, limit: 400))\n" }
        out += "\n"
        let baselines = Page.baselineNames(r)
        var header = ["task", "split", "rows", "metric", "value", "95% CI"]
        header += baselines.map { "Δ vs \(safe($0))" }
        var rows: [[String]] = []
        for t in r.tasks {
            for (k, m) in t.metrics.enumerated() {
                var row = [
                    k == 0 ? safe(t.name) : "", k == 0 ? safe(t.split) : "", k == 0 ? Format.count(t.rows) : "",
                    safe(m.name) + (m.name == t.headline ? " *" : ""), Format.metric(m.value),
                    m.interval.map { Format.interval($0.lower, $0.upper) } ?? "",
                ]
                for b in baselines {
                    if let c = t.baselines.first(where: { $0.baseline == b && $0.metric == m.name }) {
                        row.append(Format.delta(c.delta) + (c.pValue.map { " (\(Format.pLabel($0)))" } ?? ""))
                    } else {
                        row.append("")
                    }
                }
                rows.append(row)
            }
        }
        if rows.isEmpty {
            out += "no tasks\n"
        } else {
            out += table(header, rows, numeric: Set([2, 4, 5] + baselines.indices.map { $0 + 6 }))
            out += "* headline metric. Δ = evaluated − baseline on the same rows; p from a paired bootstrap.\n"
        }
        if !r.perplexity.isEmpty {
            out += "\nperplexity (before = \(safe(r.baseModel ?? "base model")), after = \(safe(r.model)))\n"
            let prow = r.perplexity.map {
                [
                    safe($0.corpus), $0.kind.rawValue, Format.count($0.tokens), Format.perplexity($0.before),
                    Format.perplexity($0.after), Format.change(from: $0.before, to: $0.after),
                ]
            }
            out += table(["corpus", "kind", "tokens", "before", "after", "change"], prow, numeric: [2, 3, 4, 5])
        }
        if let htmlPath { out += "\nHTML report: \(safe(htmlPath, limit: 4096))\n" }
        return out
    }

    /// One line per task: its headline metric, interval and, per baseline, Δ with p — what `finetunectl status`
    /// shows under a pipeline (names made safe as in ``render(_:htmlPath:)``).
    public static func headlines(_ r: Report) -> [String] {
        r.tasks.compactMap { t in
            guard let m = t.headlineResult else { return nil }
            var line = "\(safe(t.name)) (\(safe(t.split)), \(Format.count(t.rows)) rows): \(safe(m.name)) \(Format.metric(m.value))"
            if let i = m.interval { line += " \(Format.interval(i.lower, i.upper))" }
            for c in t.baselines where c.metric == m.name {
                line += ", Δ vs \(safe(c.baseline)) \(Format.delta(c.delta))" + (c.pValue.map { " (\(Format.pLabel($0)))" } ?? "")
            }
            return line
        }
    }

    /// Columns padded to their widest cell, numbers right-aligned, two spaces apart, a rule under the header.
    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return numeric.contains(c) ? pad + s : s + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        return line(header) + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            + rows.map(line).joined()
    }

    /// A name safe to print: control characters replaced by "?", at most `limit` characters.
    static func safe(_ s: String, limit: Int = maximumCellWidth) -> String {
        var out = ""
        for ch in s {
            if ch.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.value == 0x7F }) {
                out.append("?")
            } else {
                out.append(ch)
            }
        }
        return HTML.truncated(out, to: limit)
    }
}
