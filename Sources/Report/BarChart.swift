/// Vertical bars of one metric for the evaluated model and each baseline, with interval whiskers and the
/// value printed above each bar. The evaluated model's bar is solid; baselines are hatched (a different angle
/// each) and named under their bar, so no bar is identified by colour alone.
struct BarChart {
    struct Bar {
        var label: String
        var value: Double
        var lower: Double?
        var upper: Double?
    }

    var title: String
    var metric: String
    var bars: [Bar]
    /// Unique within the document: pattern ids derive from it.
    var id: String
    var width = 360.0
    var height = 250.0

    static let left = 52.0, right = 12.0, top = 42.0

    /// More than four bars get slanted names (and a deeper bottom margin for them).
    var rotated: Bool { bars.count > 4 }
    var bottom: Double { rotated ? 92 : 52 }

    func scale() -> Scale {
        let values = bars.flatMap { [$0.value] + [$0.lower, $0.upper].compactMap { $0 } }
        return Scale.linear(covering: values, include: [0], pixels: (height - bottom, Self.top), tickCount: 5)
    }

    func render() -> String {
        var svg = SVG(width: width, height: height)
        let y = scale()
        let plotRight = width - Self.right, plotBottom = height - bottom
        svg.text(
            HTML.truncated(title, to: Int((width - Self.left - 8) / 8)), Self.left, 16, class: "chart-title",
            title: title)
        for t in y.ticks {
            svg.line(Self.left, y(t), plotRight, y(t), class: t == 0 ? "axis" : "grid")
            svg.text(y.label(t), Self.left - 6, y(t) + 4, anchor: .end, class: "tick")
        }
        svg.line(Self.left, Self.top, Self.left, plotBottom, class: "axis")
        svg.text(metric, 14, (Self.top + plotBottom) / 2, anchor: .middle, class: "axis-title", rotate: -90)
        let slot = (plotRight - Self.left) / Double(max(1, bars.count))
        let barWidth = min(56, slot * 0.62)
        var defs = ""
        let angles = [45.0, -45, 90, 0, 30, -60]
        for (i, b) in bars.enumerated() {
            let cx = Self.left + slot * (Double(i) + 0.5)
            let zero = y(0), top = y(b.value)
            let fill: String?
            let cls: String
            if i == 0 {
                cls = "bar series-0"
                fill = nil
            } else {
                let pid = "\(id)-hatch-\(i)"
                defs +=
                    "<pattern id=\"\(pid)\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" patternTransform=\"rotate(\(SVG.c(angles[(i - 1) % angles.count])))\"><rect class=\"hatch-bg\" width=\"6\" height=\"6\"/><line class=\"hatch series-\(1 + (i - 1) % 5)\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\"/></pattern>"
                // Baselines cycle through colours 1…5: colour 0 is the evaluated model's alone.
                cls = "bar bar-baseline series-\(1 + (i - 1) % 5)"
                fill = "url(#\(pid))"
            }
            let tip =
                "\(b.label): \(Format.metric(b.value))"
                + (b.lower.flatMap { l in b.upper.map { " " + Format.interval(l, $0) } } ?? "")
            svg.rect(cx - barWidth / 2, min(zero, top), barWidth, abs(zero - top), class: cls, fill: fill, title: tip)
            var labelY = min(zero, top) - 5
            if let l = b.lower, let u = b.upper {
                svg.line(cx, y(l), cx, y(u), class: "whisker")
                svg.line(cx - 6, y(l), cx + 6, y(l), class: "whisker")
                svg.line(cx - 6, y(u), cx + 6, y(u), class: "whisker")
                labelY = min(labelY, y(u) - 5)
            }
            svg.text(Format.metric(b.value), cx, labelY, anchor: .middle, class: "value")
            if rotated {
                // Many bars: names slanted under their bars, so each stays readable.
                svg.text(
                    HTML.truncated(b.label, to: 16), cx + 4, plotBottom + 12, anchor: .end, class: "tick", rotate: -35,
                    title: b.label)
            } else {
                svg.text(
                    HTML.truncated(b.label, to: max(6, Int(slot / 6))), cx, plotBottom + 16, anchor: .middle,
                    class: "tick", title: b.label)
            }
            if i == 0, !rotated { svg.text("evaluated", cx, plotBottom + 30, anchor: .middle, class: "tick muted") }
            if i == 0, rotated { svg.text("solid: evaluated", plotRight, 30, anchor: .end, class: "tick muted") }
        }
        return svg.rendered(label: title, defs: defs)
    }
}
