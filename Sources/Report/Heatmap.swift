/// A matrix drawn as coloured cells with the value printed in each (so it reads without colour), row names on
/// the left, column names rotated on top, and a colour legend underneath.
struct Heatmap {
    enum Ramp {
        /// Shade = value / maximum over [0, max].
        case sequential
        /// Shade over [−1, 1], white at 0.
        case diverging
    }

    var title: String
    var rowTitle: String
    var columnTitle: String
    var rows: [String]
    var columns: [String]
    /// Drives the shade: in [0, 1] for `.sequential` (already normalised), in [−1, 1] for `.diverging`.
    var shade: [[Double]]
    /// Printed in each cell.
    var text: [[String]]
    var ramp: Ramp
    /// Legend end labels (e.g. "0%", "100% of the row").
    var legend: (low: String, high: String)
    var id: String

    /// Most classes drawn; beyond that the caller shows a table instead.
    static let maximumSide = 40

    var cell: Double { min(54, max(18, 500 / Double(max(rows.count, columns.count)))) }
    var leftMargin: Double { min(170, Double(rows.map { min($0.count, 22) }.max() ?? 4) * 7 + 34) }
    var topMargin: Double { min(150, Double(columns.map { min($0.count, 18) }.max() ?? 4) * 5.2 + 58) }

    func render() -> String {
        let c = cell, left = leftMargin, top = topMargin
        let width = left + c * Double(columns.count) + 24
        let height = top + c * Double(rows.count) + 64
        // Wide enough for the title (about 7 px per character at 13 px).
        var svg = SVG(width: max(width, 300, Double(title.count) * 7.4 + 20), height: height)
        svg.text(title, 8, 16, class: "chart-title")
        let fontClass = c >= 30 ? "cell" : "cell small"
        for (i, name) in rows.enumerated() {
            let y = top + c * Double(i)
            svg.text(HTML.truncated(name, to: 22), left - 6, y + c / 2 + 4, anchor: .end, class: "tick", title: name)
            for j in columns.indices {
                let x = left + c * Double(j)
                let v = shade[i][j]
                let color = ramp == .sequential ? Palette.sequential(v) : Palette.diverging(v)
                svg.rect(x, y, c, c, class: "cell-bg", fill: color.hex, title: "\(name) → \(columns[j]): \(text[i][j])")
                svg.text(text[i][j], x + c / 2, y + c / 2 + 4, anchor: .middle, class: fontClass, fill: color.textColor)
            }
        }
        for (j, name) in columns.enumerated() {
            let x = left + c * Double(j) + c / 2
            svg.text(
                HTML.truncated(name, to: 18), x + 3, top - 6, anchor: .start, class: "tick", rotate: -45, title: name)
        }
        svg.rect(left, top, c * Double(columns.count), c * Double(rows.count), class: "frame")
        svg.text(columnTitle, left + c * Double(columns.count) / 2, 36, anchor: .middle, class: "axis-title")
        svg.text(rowTitle, 12, top + c * Double(rows.count) / 2, anchor: .middle, class: "axis-title", rotate: -90)

        // Legend: the ramp as a gradient bar with its end (and, for diverging, middle) labels.
        let ly = top + c * Double(rows.count) + 22
        let lw = min(240, max(200, c * Double(columns.count))), lx = left
        let gid = "\(id)-ramp"
        let steps = 8
        var stops = ""
        for k in 0...steps {
            let t = Double(k) / Double(steps)
            let color = ramp == .sequential ? Palette.sequential(t) : Palette.diverging(2 * t - 1)
            stops += "<stop offset=\"\(SVG.c(t * 100))%\" stop-color=\"\(color.hex)\"/>"
        }
        let defs = "<linearGradient id=\"\(gid)\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">\(stops)</linearGradient>"
        svg.rect(lx, ly, lw, 10, class: "legend-bar", fill: "url(#\(gid))")
        svg.text(legend.low, lx, ly + 24, anchor: .start, class: "tick")
        svg.text(legend.high, lx + lw, ly + 24, anchor: .end, class: "tick")
        if ramp == .diverging { svg.text("0", lx + lw / 2, ly + 24, anchor: .middle, class: "tick") }
        return svg.rendered(label: title, defs: defs)
    }
}
