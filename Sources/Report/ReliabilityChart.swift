/// A reliability diagram: per confidence bin, a bar of the accuracy over the bin's confidence range, against the
/// diagonal of perfect calibration (dashed), with each non-empty bin's row count printed under its bar. Bars
/// below the diagonal are over-confident bins.
struct ReliabilityChart {
    var title: String
    var summary: CalibrationSummary
    var width = 420.0
    var height = 300.0

    static let left = 52.0, right = 14.0, top = 42.0, bottom = 58.0

    func render() -> String {
        var svg = SVG(width: width, height: height)
        let x0 = Self.left, x1 = width - Self.right, y0 = height - Self.bottom, y1 = Self.top
        func x(_ v: Double) -> Double { x0 + v * (x1 - x0) }
        func y(_ v: Double) -> Double { y0 + v * (y1 - y0) }
        svg.text(
            HTML.truncated(title, to: Int((width - Self.left - 8) / 8)), Self.left, 16, class: "chart-title",
            title: title)
        for k in 0...5 {
            let t = Double(k) / 5
            svg.line(x0, y(t), x1, y(t), class: "grid")
            svg.text(Format.fixed(t, 1), x0 - 6, y(t) + 4, anchor: .end, class: "tick")
            svg.text(Format.fixed(t, 1), x(t), y0 + 16, anchor: .middle, class: "tick")
        }
        for b in summary.bins where b.count > 0 {
            svg.rect(
                x(b.lower) + 0.5, y(b.accuracy), x(b.upper) - x(b.lower) - 1, y0 - y(b.accuracy), class: "bar series-0",
                title:
                    "confidence (\(Format.fixed(b.lower, 3)), \(Format.fixed(b.upper, 3))]: accuracy \(Format.metric(b.accuracy)), mean confidence \(Format.metric(b.confidence)), \(Format.count(b.count)) rows"
            )
            svg.text(Format.count(b.count), x((b.lower + b.upper) / 2), y0 + 30, anchor: .middle, class: "tick small")
        }
        svg.line(x0, y0, x1, y1, class: "line series-1 dashed")
        svg.line(x0, y0, x1, y0, class: "axis")
        svg.line(x0, y0, x0, y1, class: "axis")
        // Key in the top right corner, outside the bars.
        svg.line(x1 - 128, 28, x1 - 106, 28, class: "line series-1 dashed")
        svg.text("perfect calibration", x1, 32, anchor: .end, class: "tick")
        svg.text(
            "confidence (max probability); rows per bin below", (x0 + x1) / 2, height - 8, anchor: .middle,
            class: "axis-title")
        svg.text("accuracy", 14, (y0 + y1) / 2, anchor: .middle, class: "axis-title", rotate: -90)
        return svg.rendered(label: title)
    }
}
