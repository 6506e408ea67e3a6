/// Horizontal bars of perplexity per corpus, before (base model, hatched) and after (evaluated, solid), on a
/// shared log axis (domain and general corpora can differ by orders of magnitude), each bar labelled with its
/// value and each corpus with its relative change. Lower is better.
struct PerplexityChart {
    var rows: [PerplexityComparison]
    var beforeLabel: String
    var afterLabel: String
    var id: String
    var width = 860.0

    static let left = 170.0, right = 150.0, top = 50.0, rowHeight = 56.0

    var height: Double { Self.top + Self.rowHeight * Double(rows.count) + 40 }

    func scale() -> Scale {
        Scale.log(covering: rows.flatMap { [$0.before, $0.after] } + [1], pixels: (Self.left, width - Self.right))
    }

    func render() -> String {
        var svg = SVG(width: width, height: height)
        let x = scale()
        let plotBottom = height - 40
        svg.text("Perplexity before and after (log scale, lower is better)", 8, 16, class: "chart-title")
        // Key: which bar is which, by pattern and name.
        svg.rect(Self.left, 26, 14, 10, class: "bar bar-baseline series-1", fill: "url(#\(id)-hatch)")
        svg.text(
            "before: " + HTML.truncated(beforeLabel, to: 28), Self.left + 20, 35, class: "tick", title: beforeLabel)
        svg.rect(Self.left + 250, 26, 14, 10, class: "bar series-0")
        svg.text("after: " + HTML.truncated(afterLabel, to: 28), Self.left + 270, 35, class: "tick", title: afterLabel)
        for t in x.ticks {
            svg.line(x(t), Self.top - 4, x(t), plotBottom, class: "grid")
            svg.text(x.label(t), x(t), plotBottom + 16, anchor: .middle, class: "tick")
        }
        for (i, r) in rows.enumerated() {
            let y0 = Self.top + Self.rowHeight * Double(i) + 6
            svg.text(
                HTML.truncated(r.corpus, to: 22), Self.left - 8, y0 + 16, anchor: .end, class: "label", title: r.corpus)
            svg.text(
                "\(r.kind.rawValue) · \(Format.count(r.tokens)) tokens", Self.left - 8, y0 + 31, anchor: .end,
                class: "tick muted")
            for (k, v) in [r.before, r.after].enumerated() {
                let y = y0 + Double(k) * 20
                let cls = k == 0 ? "bar bar-baseline series-1" : "bar series-0"
                svg.rect(
                    Self.left, y, x(v) - Self.left, 16, class: cls, fill: k == 0 ? "url(#\(id)-hatch)" : nil,
                    title: "\(r.corpus), \(k == 0 ? "before" : "after"): \(Format.perplexity(v))")
                svg.text(Format.perplexity(v), x(v) + 5, y + 12, class: "value")
            }
            // The change sits just past the longer bar's value label, where the eye already is.
            svg.text(
                "change " + Format.change(from: r.before, to: r.after), x(max(r.before, r.after)) + 58, y0 + 22,
                class: r.after <= r.before ? "value good" : "value bad")
        }
        svg.line(Self.left, Self.top - 4, Self.left, plotBottom, class: "axis")
        let defs =
            "<pattern id=\"\(id)-hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" patternTransform=\"rotate(45)\"><rect class=\"hatch-bg\" width=\"6\" height=\"6\"/><line class=\"hatch series-1\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\"/></pattern>"
        return svg.rendered(label: "Perplexity before and after", defs: defs)
    }
}
