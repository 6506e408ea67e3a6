/// A line chart of (step, value) series: axes with nice ticks, a light grid, one polyline per series (dashed
/// for validation), a marker shape per series, and each series named at its right end.
struct LineChart {
    struct Series {
        var label: String
        var points: [(x: Double, y: Double)]
        var dashed: Bool
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var width = 540.0
    var height = 280.0
    /// Series longer than this are thinned (every k-th point, the last one kept) before drawing.
    static let maximumPoints = 600

    static let left = 58.0, right = 118.0, top = 30.0, bottom = 44.0

    /// The axes' scales: x over every step, y over every value.
    func scales() -> (x: Scale, y: Scale) {
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let x = Scale.linear(covering: xs, pixels: (Self.left, width - Self.right), tickCount: 6)
        let y = Scale.linear(covering: ys, pixels: (height - Self.bottom, Self.top), tickCount: 5)
        return (x, y)
    }

    static func thinned(_ p: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        guard p.count > maximumPoints else { return p }
        let k = (p.count + maximumPoints - 1) / maximumPoints
        var out = stride(from: 0, to: p.count, by: k).map { p[$0] }
        if let last = p.last, out.last?.x != last.x { out.append(last) }
        return out
    }

    func render() -> String {
        var svg = SVG(width: width, height: height)
        let (x, y) = scales()
        let plotBottom = height - Self.bottom, plotRight = width - Self.right
        svg.text(
            HTML.truncated(title, to: Int((width - Self.left - 8) / 8)), Self.left, 16, class: "chart-title",
            title: title)
        for t in y.ticks {
            svg.line(Self.left, y(t), plotRight, y(t), class: "grid")
            svg.text(y.label(t), Self.left - 6, y(t) + 4, anchor: .end, class: "tick")
        }
        for t in x.ticks {
            svg.line(x(t), plotBottom, x(t), plotBottom + 4, class: "axis")
            svg.text(x.label(t), x(t), plotBottom + 17, anchor: .middle, class: "tick")
        }
        svg.line(Self.left, plotBottom, plotRight, plotBottom, class: "axis")
        svg.line(Self.left, Self.top, Self.left, plotBottom, class: "axis")
        svg.text(xLabel, (Self.left + plotRight) / 2, height - 8, anchor: .middle, class: "axis-title")
        svg.text(yLabel, 14, (Self.top + plotBottom) / 2, anchor: .middle, class: "axis-title", rotate: -90)

        var ends: [(y: Double, label: String, index: Int)] = []
        for (i, s) in series.enumerated() {
            let p = Self.thinned(s.points).map { (x($0.x), y($0.y)) }
            let cls = "series-\(i % 6)" + (s.dashed ? " dashed" : "")
            if p.count > 1 { svg.polyline(p, class: "line \(cls)") }
            // Markers on a few points only (all of them when the series is short), so shapes stay readable.
            let every = max(1, p.count / 8)
            for (j, q) in p.enumerated() where j % every == 0 || j == p.count - 1 {
                svg.marker(q.0, q.1, shape: i, class: "marker \(cls)")
            }
            if let last = p.last { ends.append((last.1, s.label, i)) }
        }
        // Direct labels at the right, pushed apart so that they do not overlap.
        ends.sort { $0.y < $1.y }
        var previous = -Double.infinity
        for e in ends {
            let ly = max(e.y + 4, previous + 14)
            previous = ly
            svg.text(
                HTML.truncated(e.label, to: 17), plotRight + 8, ly, class: "series-label series-text-\(e.index % 6)",
                title: e.label)
        }
        return svg.rendered(label: title)
    }
}
