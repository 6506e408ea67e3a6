import Foundation
import Testing

@testable import Report

@Suite struct HTMLReportRendererTests {
    @Test func isWellFormedSelfContainedAndDeterministic() throws {
        let r = try handBuiltReport()
        let html = HTMLReportRenderer.render(r)
        #expect(HTMLReportRenderer.render(r) == html)
        let (error, elements, ids) = parseXML(html)
        #expect(error == nil, "\(error ?? "")")
        #expect(!elements.contains("script") && !elements.contains("link") && !elements.contains("img"))
        #expect(!elements.contains("iframe") && !elements.contains("object"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("url(http"))
        #expect(
            !html.lowercased().contains("javascript:") && html.firstMatch(of: /\son[a-z]+=/) == nil, "no event handlers"
        )
        #expect(html.contains("default-src 'none'"))
        #expect(Set(ids).count == ids.count, "ids are unique: \(ids)")
        // Every internal reference points at an id of the page.
        for ref in html.matches(of: /url\(#([^)]+)\)|href="#([^"]+)"/) {
            let id = String(ref.output.1 ?? ref.output.2 ?? "")
            #expect(ids.contains(id), "dangling reference #\(id)")
        }
        // Sections and charts that the report calls for.
        #expect(
            elements.filter { $0 == "svg" }.count == 2 + 4 + 2 + 2 + 1 + 2,
            "2 headline bars, 4 curve charts, 2 confusion maps, 2 reliability diagrams, perplexity, gates, conflict")
        for id in ["summary", "task-1", "task-2", "perplexity", "gates", "conflict"] { #expect(ids.contains(id)) }
    }

    @Test func numbersAppearAsRendered() throws {
        let html = HTMLReportRenderer.render(try handBuiltReport())
        for s in [
            "0.960", "[0.938, 0.979]", "+0.006", "[-0.008, +0.021]", "p=0.412", "p&lt;0.001", "0.918",
            "-0.006", "38.40", "9.70", "-74.7%", "+29.2%", "48,210", "722", "836", "0.47", "-0.23", "+1.000",
        ] {
            #expect(html.contains(s), "missing \(s)")
        }
        #expect(html.contains("Hand-built test input for the renderer tests"))
    }

    @Test func escapesEveryNameFromUserData() throws {
        let evil = "<script>alert(1)</script>\"&'\u{1B}[31m"
        var r = try handBuiltReport()
        r.pipeline = evil
        r.model = evil
        r.notice = evil
        r.tasks[0].name = evil
        r.tasks[0].split = evil
        r.tasks[0].confusion?.labels[0] = evil
        r.tasks[0].perClass[0].label = evil
        r.tasks[0].baselines[0].baseline = evil
        r.tasks[0].curves[0].split = evil
        r.perplexity[0].corpus = evil
        r.gateWeights?.columns[0] = evil
        let html = HTMLReportRenderer.render(r)
        #expect(!html.contains("<script") && !html.contains("\u{1B}"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;\u{FFFD}[31m"))
        #expect(parseXML(html).error == nil)
    }

    @Test func escapeCoversMarkupAndForbiddenCharacters() {
        #expect(HTML.escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
        #expect(HTML.escape("tab\tnl\n\u{0}\u{7F}\u{85}ok é") == "tab\tnl\n\u{FFFD}\u{FFFD}\u{FFFD}ok é")
    }

    @Test func anInconsistentReportListsItsProblemsInsteadOfCharts() throws {
        var r = try handBuiltReport()
        r.tasks[1].confusion?.counts[0].removeLast()
        r.gradientConflict?.values = [[1]]
        let html = HTMLReportRenderer.render(r)
        #expect(parseXML(html).error == nil && !html.contains("<svg"))
        #expect(html.contains("This report is inconsistent") && html.contains("tasks[1].confusion.counts[0]"))
        #expect(html.contains("gradient_conflict.values"))
    }

    @Test func hugePerplexitiesDoNotBreakTheAxis() throws {
        var r = try handBuiltReport()
        r.perplexity[0].before = 1e300
        let html = HTMLReportRenderer.render(r)
        #expect(parseXML(html).error == nil && html.contains(">1e+300</text>"))
    }

    /// Long names, seven bars, twelve classes and a 5000-point curve: the summary switches to one row per
    /// baseline, bar names slant, titles are cut with "…" (full text in tooltips), the curve is thinned.
    @Test func scalesToLongNamesManyBaselinesAndLongCurves() throws {
        var r = try handBuiltReport()
        let long = "a-rather-long-task-name-that-someone-typed-in-a-pipeline"
        r.tasks[1].name = long
        let labels = (0..<12).map { "label-number-\($0)-with-words" }
        r.tasks[1].confusion = ConfusionTable(
            labels: labels, counts: (0..<12).map { i in (0..<12).map { j in i == j ? 50 + i : (i + j) % 5 } })
        r.tasks[1].baselines = (0..<6).map {
            BaselineComparison(
                baseline: "baseline-\($0)-stage", metric: "accuracy", value: 0.9 - Double($0) * 0.1, delta: 0.02,
                deltaInterval: Interval(lower: -0.01, upper: 0.04, resamples: 1000), pValue: 0.2)
        }
        r.tasks[1].curves = [
            Curve(
                split: "train", metric: "loss",
                points: (0..<5000).map { Curve.Point(step: $0, value: 1 / Double($0 + 1)) })
        ]
        let html = HTMLReportRenderer.render(r)
        #expect(parseXML(html).error == nil)
        #expect(html.contains("<table class=\"long\">") && html.contains("rowspan=\"6\""))
        #expect(html.contains(">a-rather-long-task-name-tha…</a>") && html.contains("title=\"\(long)\""))
        #expect(html.contains("rotate(-35") && html.contains("solid: evaluated"))
        #expect(!html.contains("bar bar-baseline series-0"), "no baseline takes the evaluated model's colour")
        let polylines = html.matches(of: /<polyline class="line series-0" points="([^"]*)"/).map { $0.output.1 }
        let longest = polylines.map { $0.split(separator: " ").count }.max() ?? 0
        #expect(longest > 500 && longest <= LineChart.maximumPoints + 1)
    }

    @Test func aReportWithoutTasksStillRenders() {
        let html = HTMLReportRenderer.render(Report(pipeline: "p", model: "m"))
        #expect(parseXML(html).error == nil && html.contains("This report has no tasks."))
    }

    @Test func tooManyClassesGiveANoteInsteadOfAnUnreadableMap() throws {
        var r = try handBuiltReport()
        let n = Heatmap.maximumSide + 1
        r.tasks[1].confusion = ConfusionTable(
            labels: (0..<n).map { "c\($0)" }, counts: Array(repeating: Array(repeating: 1, count: n), count: n))
        let html = HTMLReportRenderer.render(r)
        #expect(html.contains("\(n) classes are too many to draw legibly"))
    }

    /// Writes the hand-built example to $FINETUNED_REPORT_EXAMPLE when set, for scripts/report/screenshot.sh.
    @Test func writesTheExampleWhenAsked() throws {
        guard let path = ProcessInfo.processInfo.environment["FINETUNED_REPORT_EXAMPLE"] else { return }
        try HTMLReportRenderer.render(try handBuiltReport()).write(toFile: path, atomically: true, encoding: .utf8)
    }
}
