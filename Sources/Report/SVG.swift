/// A small writer of inline SVG: elements with escaped text and attributes, coordinates rounded to 0.1 px so
/// output is deterministic and compact. Styling comes from the page's CSS classes (`axis`, `grid`, `series-N`
/// ...) so light and dark themes both apply; only data-driven colours (heatmap cells) are inline.
struct SVG {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func c(_ x: Double) -> String { Format.coordinate(x) }

    mutating func raw(_ s: String) { body += s }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, class cls: String) {
        body +=
            "<line class=\"\(cls)\" x1=\"\(Self.c(x1))\" y1=\"\(Self.c(y1))\" x2=\"\(Self.c(x2))\" y2=\"\(Self.c(y2))\"/>"
    }

    mutating func rect(
        _ x: Double, _ y: Double, _ w: Double, _ h: Double, class cls: String? = nil, fill: String? = nil,
        title: String? = nil
    ) {
        var a = "x=\"\(Self.c(x))\" y=\"\(Self.c(y))\" width=\"\(Self.c(max(0, w)))\" height=\"\(Self.c(max(0, h)))\""
        if let cls { a += " class=\"\(cls)\"" }
        if let fill { a += " fill=\"\(fill)\"" }
        if let title {
            body += "<rect \(a)><title>\(HTML.escape(title))</title></rect>"
        } else {
            body += "<rect \(a)/>"
        }
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(
        _ s: String, _ x: Double, _ y: Double, anchor: Anchor = .start, class cls: String = "label",
        rotate: Double? = nil, fill: String? = nil, title: String? = nil
    ) {
        var a = "class=\"\(cls)\" x=\"\(Self.c(x))\" y=\"\(Self.c(y))\" text-anchor=\"\(anchor.rawValue)\""
        if let rotate { a += " transform=\"rotate(\(Self.c(rotate)) \(Self.c(x)) \(Self.c(y)))\"" }
        if let fill { a += " fill=\"\(fill)\"" }
        let tip = title.map { "<title>\(HTML.escape($0))</title>" } ?? ""
        body += "<text \(a)>\(tip)\(HTML.escape(s))</text>"
    }

    mutating func polyline(_ points: [(Double, Double)], class cls: String) {
        let p = points.map { "\(Self.c($0.0)),\(Self.c($0.1))" }.joined(separator: " ")
        body += "<polyline class=\"\(cls)\" points=\"\(p)\"/>"
    }

    /// A marker of a shape chosen by series index, so series differ by shape as well as colour.
    mutating func marker(_ x: Double, _ y: Double, shape: Int, class cls: String) {
        let r = 3.5
        switch shape % 4 {
        case 0: body += "<circle class=\"\(cls)\" cx=\"\(Self.c(x))\" cy=\"\(Self.c(y))\" r=\"\(Self.c(r))\"/>"
        case 1: rect(x - r, y - r, 2 * r, 2 * r, class: cls)
        case 2:
            body +=
                "<path class=\"\(cls)\" d=\"M\(Self.c(x)),\(Self.c(y - r - 0.8))L\(Self.c(x + r + 0.8)),\(Self.c(y + r))L\(Self.c(x - r - 0.8)),\(Self.c(y + r))Z\"/>"
        default:
            body +=
                "<path class=\"\(cls)\" d=\"M\(Self.c(x)),\(Self.c(y - r - 0.8))L\(Self.c(x + r + 0.8)),\(Self.c(y))L\(Self.c(x)),\(Self.c(y + r + 0.8))L\(Self.c(x - r - 0.8)),\(Self.c(y))Z\"/>"
        }
    }

    /// The finished element. `label` becomes the accessible name (`role="img"` + `<title>`).
    func rendered(label: String, defs: String = "") -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Self.c(width)) \(Self.c(height))\" width=\"\(Self.c(width))\" height=\"\(Self.c(height))\" role=\"img\" aria-label=\"\(HTML.escape(label))\">"
            + "<title>\(HTML.escape(label))</title>" + (defs.isEmpty ? "" : "<defs>\(defs)</defs>") + body + "</svg>"
    }
}
