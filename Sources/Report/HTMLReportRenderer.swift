/// Renders a `Report` as one self-contained HTML page: inline CSS and SVG, no script, no external resource (a
/// Content-Security-Policy of `default-src 'none'` makes the browser enforce it), readable without colour
/// (values printed on bars and cells, series told apart by pattern and shape), light and dark themes.
///
/// The output is a pure function of the report: equal reports give equal bytes. It is also well-formed XML
/// (every element closed, only the five XML entities), which is how the tests check its structure. Every piece
/// of text from the report is escaped.
public enum HTMLReportRenderer {
    ///
    /// A report that fails validation (`Report.problems()`: mismatched matrices, out-of-range values, ...) is not
    /// drawn: the page lists its problems instead, so rendering never indexes past inconsistent data.
    public static func render(_ report: Report) -> String {
        var page = Page()
        page.header(report)
        let problems = report.problems()
        if problems.isEmpty {
            page.summary(report)
            for (i, task) in report.tasks.enumerated() { page.task(task, index: i) }
            page.perplexity(report)
            page.matrices(report)
        } else {
            page.problems(problems)
        }
        page.footer(report)
        let title = "Evaluation report — \(report.pipeline)"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/>\
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/>\
            <meta name="viewport" content="width=device-width, initial-scale=1"/>\
            <meta name="color-scheme" content="light dark"/>\
            <title>\(HTML.escape(title))</title><style>\(Stylesheet.css)</style></head>
            <body><main>
            \(page.html)</main></body></html>

            """
    }
}

/// The page being assembled, section by section.
struct Page {
    var html = ""
    private var chartCount = 0

    mutating func nextID() -> String {
        chartCount += 1
        return "c\(chartCount)"
    }

    static func e(_ s: String) -> String { HTML.escape(s) }

    /// Baseline names across tasks, in order of first appearance.
    static func baselineNames(_ report: Report) -> [String] {
        var seen = Set<String>(), names: [String] = []
        for t in report.tasks {
            for b in t.baselines where seen.insert(b.baseline).inserted { names.append(b.baseline) }
        }
        return names
    }

    mutating func header(_ r: Report) {
        html += "<header><h1>Evaluation report — \(Self.e(r.pipeline))</h1><div class=\"meta\">"
        var items: [(String, String)] = [("Model", r.model)]
        if let b = r.baseModel { items.append(("Base model", b)) }
        if let run = r.run { items.append(("Run", run)) }
        if let g = r.generatedAt { items.append(("Generated", g)) }
        items.append(("Tasks", String(r.tasks.count)))
        for (k, v) in items { html += "<span>\(k): <b>\(Self.e(v))</b></span>" }
        html += "</div>"
        if let n = r.notice { html += "<div class=\"notice\" role=\"note\">Note: \(Self.e(n))</div>" }
        var links = ["<a href=\"#summary\">Summary</a>"]
        for (i, t) in r.tasks.enumerated() { links.append("<a href=\"#\(HTML.id("task", i))\">\(Self.e(t.name))</a>") }
        if !r.perplexity.isEmpty { links.append("<a href=\"#perplexity\">Perplexity</a>") }
        if r.gateWeights != nil { links.append("<a href=\"#gates\">Gate weights</a>") }
        if r.gradientConflict != nil { links.append("<a href=\"#conflict\">Gradient conflict</a>") }
        html += "<nav>\(links.joined())</nav></header>\n"
    }

    mutating func summary(_ r: Report) {
        html += "<section id=\"summary\"><h2>Summary</h2>"
        guard !r.tasks.isEmpty else {
            html += "<p class=\"note\">This report has no tasks.</p></section>\n"
            return
        }
        let baselines = Self.baselineNames(r)
        if baselines.count <= 3 {
            wideSummary(r, baselines)
        } else {
            longSummary(r)
        }
        html +=
            "<p class=\"note\">Intervals are seeded percentile bootstrap intervals; Δ is evaluated − baseline on the "
            + "same rows, with the paired bootstrap p-value (bold when p &lt; 0.05). Definitions: docs/metrics.md.</p>"
        html += "<div class=\"grid-charts\">"
        for t in r.tasks { html += "<div class=\"card\">\(headlineChart(t))</div>" }
        html += "</div></section>\n"
    }

    /// Tasks × (headline, one Δ column per baseline): the compact form for up to three baselines.
    mutating func wideSummary(_ r: Report, _ baselines: [String]) {
        html +=
            "<table><thead><tr><th>Task</th><th class=\"num\">Rows</th><th>Metric</th>"
            + "<th class=\"num\">Value</th><th class=\"num\">95% CI</th>"
        for b in baselines { html += "<th class=\"num\">Δ vs \(Self.e(b))</th>" }
        html += "</tr></thead><tbody>"
        for (i, t) in r.tasks.enumerated() {
            html += "<tr>" + Self.summaryCells(t, index: i)
            for b in baselines {
                if let c = t.baselines.first(where: { $0.baseline == b && $0.metric == t.headline }) {
                    html += "<td class=\"num\">\(Self.deltaCell(c))</td>"
                } else {
                    html += "<td class=\"num muted\">—</td>"
                }
            }
            html += "</tr>"
        }
        html += "</tbody></table>"
    }

    /// One row per task and baseline: stays narrow however many baselines there are.
    mutating func longSummary(_ r: Report) {
        html +=
            "<table class=\"long\"><thead><tr><th>Task</th><th class=\"num\">Rows</th><th>Metric</th>"
            + "<th class=\"num\">Value</th><th class=\"num\">95% CI</th><th>Baseline</th>"
            + "<th class=\"num\">Baseline value</th><th class=\"num\">Δ</th></tr></thead><tbody>"
        for (i, t) in r.tasks.enumerated() {
            let rows = t.baselines.filter { $0.metric == t.headline }
            html += "<tr>" + Self.summaryCells(t, index: i, rowspan: max(1, rows.count))
            if rows.isEmpty { html += "<td class=\"muted\">—</td><td></td><td></td></tr>" }
            for (k, c) in rows.enumerated() {
                if k > 0 { html += "<tr>" }
                html +=
                    "<td>\(Self.e(c.baseline))</td><td class=\"num\">\(Format.metric(c.value))</td>"
                    + "<td class=\"num\">\(Self.deltaCell(c))</td></tr>"
            }
        }
        html += "</tbody></table>"
    }

    /// Task name (cut to 28 characters, the full name in a tooltip), rows, headline metric, value, interval.
    static func summaryCells(_ t: TaskReport, index i: Int, rowspan: Int = 1) -> String {
        let h = t.headlineResult
        let rs = rowspan > 1 ? " rowspan=\"\(rowspan)\"" : ""
        return
            "<td\(rs)><a href=\"#\(HTML.id("task", i))\" title=\"\(e(t.name))\">\(e(HTML.truncated(t.name, to: 28)))</a></td>"
            + "<td class=\"num\"\(rs)>\(Format.count(t.rows))</td><td\(rs)>\(e(t.headline))</td>"
            + "<td class=\"num\"\(rs)><b>\(h.map { Format.metric($0.value) } ?? "—")</b></td>"
            + "<td class=\"num ci\"\(rs)>\(h?.interval.map { Format.interval($0.lower, $0.upper) } ?? "—")</td>"
    }

    static func deltaCell(_ c: BaselineComparison) -> String {
        let significant = (c.pValue ?? 1) < 0.05
        // Two lines (the delta, then its interval and p) keep the summary narrow with several baselines.
        var s = "<span class=\"\(significant ? "sig" : "")\">\(Format.delta(c.delta))</span>"
        var detail: [String] = []
        if let i = c.deltaInterval { detail.append(Format.interval(i.lower, i.upper, signed: true)) }
        if let p = c.pValue { detail.append(HTML.escape(Format.pLabel(p))) }
        if !detail.isEmpty { s += "<br/><span class=\"ci\">\(detail.joined(separator: " · "))</span>" }
        return s
    }

    mutating func headlineChart(_ t: TaskReport) -> String {
        guard let h = t.headlineResult else { return "" }
        var bars = [
            BarChart.Bar(label: "evaluated", value: h.value, lower: h.interval?.lower, upper: h.interval?.upper)
        ]
        bars[0].label = t.name
        for b in t.baselines where b.metric == t.headline {
            bars.append(
                BarChart.Bar(label: b.baseline, value: b.value, lower: b.interval?.lower, upper: b.interval?.upper))
        }
        return BarChart(
            title: "\(t.name): \(t.headline)", metric: t.headline, bars: bars, id: nextID(),
            height: bars.count > 4 ? 300 : 250
        ).render()
    }

    mutating func task(_ t: TaskReport, index: Int) {
        html +=
            "<section id=\"\(HTML.id("task", index))\"><h2>\(Self.e(t.name))</h2><div class=\"badges\">"
            + "<span>\(t.kind.rawValue)</span><span>split: \(Self.e(t.split))</span><span>\(Format.count(t.rows)) rows</span>"
            + "<span>headline: \(Self.e(t.headline))</span></div>"
        html +=
            "<div class=\"row\"><div><h3>Metrics</h3><table><thead><tr><th>Metric</th><th class=\"num\">Value</th>"
            + "<th class=\"num\">95% CI</th></tr></thead><tbody>"
        for m in t.metrics {
            let name = m.name == t.headline ? "<b>\(Self.e(m.name))</b>" : Self.e(m.name)
            html +=
                "<tr><td>\(name)</td><td class=\"num\">\(Format.metric(m.value))</td><td class=\"num ci\">"
                + (m.interval.map { Format.interval($0.lower, $0.upper) } ?? "—") + "</td></tr>"
        }
        html += "</tbody></table></div>"
        if !t.baselines.isEmpty {
            html +=
                "<div><h3>Against baselines</h3><table><thead><tr><th>Baseline</th><th>Metric</th>"
                + "<th class=\"num\">Baseline</th><th class=\"num\">Evaluated</th><th class=\"num\">Δ</th>"
                + "<th class=\"num\">Δ 95% CI</th><th class=\"num\">p</th></tr></thead><tbody>"
            for b in t.baselines {
                let own = t.metrics.first { $0.name == b.metric }.map { Format.metric($0.value) } ?? "—"
                let sig = (b.pValue ?? 1) < 0.05
                html +=
                    "<tr><td>\(Self.e(b.baseline))</td><td>\(Self.e(b.metric))</td><td class=\"num\">\(Format.metric(b.value))</td>"
                    + "<td class=\"num\">\(own)</td><td class=\"num\(sig ? " sig" : "")\">\(Format.delta(b.delta))</td>"
                    + "<td class=\"num ci\">\(b.deltaInterval.map { Format.interval($0.lower, $0.upper, signed: true) } ?? "—")</td>"
                    + "<td class=\"num\(sig ? " sig" : "")\">\(b.pValue.map { HTML.escape(Format.pValue($0)) } ?? "—")</td></tr>"
            }
            html += "</tbody></table></div>"
        }
        html += "</div>"
        curves(t)
        html += "<div class=\"row\">"
        confusion(t)
        if let cal = t.calibration, cal.bins.contains(where: { $0.count > 0 }) {
            let chart = ReliabilityChart(title: "\(t.name): reliability (ECE \(Format.metric(cal.ece)))", summary: cal)
            html +=
                "<div><h3>Calibration</h3><div class=\"card\" style=\"display:inline-block\">\(chart.render())</div>"
                + "<p class=\"note\">Bars below the diagonal are bins where the model is over-confident.</p></div>"
        }
        html += "</div>"
        if !t.perClass.isEmpty {
            let what = t.kind == .tagging ? "Per entity type" : "Per class"
            html +=
                "<h3>\(what)</h3><table><thead><tr><th>\(t.kind == .tagging ? "Type" : "Class")</th>"
                + "<th class=\"num\">Precision</th><th class=\"num\">Recall</th><th class=\"num\">F1</th>"
                + "<th class=\"num\">Support</th></tr></thead><tbody>"
            for c in t.perClass {
                html +=
                    "<tr><td>\(Self.e(c.label))</td><td class=\"num\">\(Format.metric(c.precision))</td>"
                    + "<td class=\"num\">\(Format.metric(c.recall))</td><td class=\"num\">\(Format.metric(c.f1))</td>"
                    + "<td class=\"num\">\(Format.count(c.support))</td></tr>"
            }
            html += "</tbody></table>"
        }
        html += "</section>\n"
    }

    /// One chart per metric, each holding that metric's curves (train solid, validation dashed).
    mutating func curves(_ t: TaskReport) {
        guard !t.curves.isEmpty else { return }
        var metrics: [String] = []
        for c in t.curves where !metrics.contains(c.metric) { metrics.append(c.metric) }
        html += "<h3>Training curves</h3><div class=\"grid-charts wide\">"
        for m in metrics {
            let series = t.curves.filter { $0.metric == m }.map { c in
                LineChart.Series(
                    label: c.split, points: c.points.map { (Double($0.step), $0.value) },
                    dashed: c.split.lowercased().hasPrefix("val"))
            }
            html +=
                "<div class=\"card\">"
                + LineChart(title: "\(t.name): \(m)", xLabel: "step", yLabel: m, series: series).render() + "</div>"
        }
        html += "</div>"
    }

    mutating func confusion(_ t: TaskReport) {
        guard let m = t.confusion, !m.labels.isEmpty else { return }
        html += "<div style=\"max-width:560px\"><h3>Confusion matrix</h3>"
        defer { html += "</div>" }
        guard m.labels.count <= Heatmap.maximumSide else {
            html +=
                "<p class=\"note\">\(m.labels.count) classes are too many to draw legibly; the counts are in report.json.</p>"
            return
        }
        let shade = m.counts.map { row -> [Double] in
            let total = row.reduce(0, +)
            return row.map { total == 0 ? 0 : Double($0) / Double(total) }
        }
        let map = Heatmap(
            title: "\(t.name): confusion matrix", rowTitle: "gold",
            columnTitle: "predicted", rows: m.labels, columns: m.labels, shade: shade,
            text: m.counts.map { $0.map { Format.count($0) } }, ramp: .sequential,
            legend: ("0%", "100% of the gold row"),
            id: nextID())
        html +=
            "<div class=\"card\" style=\"display:inline-block\">\(map.render())</div>"
            + "<p class=\"note\">Rows are gold classes, columns predictions; each cell prints its count and is shaded by "
            + "its share of the gold row, so the diagonal reads as per-class recall.</p>"
    }

    mutating func perplexity(_ r: Report) {
        guard !r.perplexity.isEmpty else { return }
        html += "<section id=\"perplexity\"><h2>Perplexity: forgetting and adaptation</h2>"
        let chart = PerplexityChart(
            rows: r.perplexity, beforeLabel: r.baseModel ?? "base model", afterLabel: r.model, id: nextID())
        html += "<div class=\"card\">\(chart.render())</div>"
        html +=
            "<table><thead><tr><th>Corpus</th><th>Kind</th><th class=\"num\">Tokens</th><th class=\"num\">Before</th>"
            + "<th class=\"num\">After</th><th class=\"num\">Change</th></tr></thead><tbody>"
        for p in r.perplexity {
            html +=
                "<tr><td>\(Self.e(p.corpus))</td><td>\(p.kind.rawValue)</td><td class=\"num\">\(Format.count(p.tokens))</td>"
                + "<td class=\"num\">\(Format.perplexity(p.before))</td><td class=\"num\">\(Format.perplexity(p.after))</td>"
                + "<td class=\"num \(p.after <= p.before ? "good" : "bad")\">\(Format.change(from: p.before, to: p.after))</td></tr>"
        }
        html +=
            "</tbody></table><p class=\"note\">Before: \(Self.e(r.baseModel ?? "the base model")); after: "
            + "\(Self.e(r.model)). Lower is better: a rise on general text is forgetting, a fall on domain text is adaptation.</p></section>\n"
    }

    mutating func matrices(_ r: Report) {
        if let g = r.gateWeights, !g.rows.isEmpty, !g.columns.isEmpty {
            html += "<section id=\"gates\"><h2>Gate weights</h2>"
            if max(g.rows.count, g.columns.count) <= Heatmap.maximumSide {
                let top = g.values.flatMap { $0 }.max() ?? 1
                let map = Heatmap(
                    title: "Mean gate weight per task and expert", rowTitle: "task", columnTitle: "expert",
                    rows: g.rows,
                    columns: g.columns, shade: g.values.map { $0.map { top > 0 ? $0 / top : 0 } },
                    text: g.values.map { $0.map { Format.fixed($0, 2) } }, ramp: .sequential,
                    legend: ("0", Format.fixed(top, 2)), id: nextID())
                html += "<div class=\"card\" style=\"display:inline-block\">\(map.render())</div>"
            } else {
                html += "<p class=\"note\">Too many tasks or experts to draw; the weights are in report.json.</p>"
            }
            html += "</section>\n"
        }
        if let c = r.gradientConflict, !c.rows.isEmpty {
            html += "<section id=\"conflict\"><h2>Gradient conflict</h2>"
            if c.rows.count <= Heatmap.maximumSide {
                let map = Heatmap(
                    title: "Cosine of task gradients (shared parameters)", rowTitle: "task", columnTitle: "task",
                    rows: c.rows, columns: c.columns, shade: c.values,
                    text: c.values.map { $0.map { Format.delta($0) } }, ramp: .diverging,
                    legend: ("−1 conflicting", "+1 aligned"), id: nextID())
                html +=
                    "<div class=\"card\" style=\"display:inline-block\">\(map.render())</div>"
                    + "<p class=\"note\">Negative cosines (red) mean the tasks pull the shared weights in opposing directions.</p>"
            } else {
                html += "<p class=\"note\">Too many tasks to draw; the matrix is in report.json.</p>"
            }
            html += "</section>\n"
        }
    }

    mutating func problems(_ problems: [ReportError]) {
        html +=
            "<section id=\"problems\"><h2>This report is inconsistent</h2><p class=\"note\">Nothing is drawn "
            + "from it; the producer of report.json has a bug. Problems:</p><ul>"
        for p in problems.prefix(100) { html += "<li><code>\(Self.e(p.path))</code>: \(Self.e(p.message))</li>" }
        if problems.count > 100 { html += "<li>… and \(problems.count - 100) more</li>" }
        html += "</ul></section>\n"
    }

    mutating func footer(_ r: Report) {
        html +=
            "<footer>Self-contained page: no scripts, no network requests. Data: report.json, schema_version "
            + "\(r.schemaVersion) (docs/report.md).</footer>\n"
    }
}
