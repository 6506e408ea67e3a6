import Testing

@testable import Report

@Suite struct TerminalReportRendererTests {
    @Test func tablesTasksMetricsIntervalsAndDeltas() throws {
        let text = TerminalReportRenderer.render(try handBuiltReport())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "legal-multitask · run hand-built-example · model finetune (base all-MiniLM-L6-v2)")
        #expect(lines[1].hasPrefix("NOTE: Hand-built test input"))
        let header = try #require(lines.first { $0.hasPrefix("task") })
        #expect(header.contains("Δ vs single-task") && header.contains("Δ vs no-dapt") && header.contains("Δ vs base"))
        let spam = try #require(
            lines.first { $0.contains("macro_f1 *") && $0.hasPrefix("spam") == false && $0.contains("0.960") })
        #expect(
            spam.contains("[0.938, 0.979]") && spam.contains("+0.006 (p=0.412)") && spam.contains("+0.448 (p<0.001)"))
        #expect(
            lines.contains { $0.hasPrefix("question") && $0.contains("accuracy *") && $0.contains("-0.006 (p=0.488)") })
        #expect(
            lines.contains { $0.hasPrefix("legal (held-out)") && $0.contains("38.40   9.70") && $0.hasSuffix("-74.7%") }
        )
        // Columns line up: every row of the metric table is as wide as its rule, or narrower where it ends in
        // blank cells (trailing spaces are trimmed).
        let rule = try #require(lines.first { $0.hasPrefix("----") })
        let tableRows = lines.drop { !$0.hasPrefix("----") }.dropFirst().prefix { !$0.isEmpty && !$0.hasPrefix("*") }
        #expect(tableRows.count == 9)
        #expect(tableRows.allSatisfy { $0.count <= rule.count })
        // Numbers are right-aligned: the value column ends at the same place in every row.
        let valueEnd = header.range(of: "value")!.upperBound
        let offset = header.distance(from: header.startIndex, to: valueEnd)
        for row in tableRows {
            let i = row.index(row.startIndex, offsetBy: offset - 1)
            #expect(row[i].isNumber, "\(row)")
        }
    }

    @Test func headlinesGiveOneLinePerTaskWithItsDeltas() throws {
        let report = try handBuiltReport()
        let lines = TerminalReportRenderer.headlines(report)
        #expect(lines.count == report.tasks.count)
        let spam = try #require(lines.first { $0.hasPrefix("spam (test, ") })
        #expect(spam.contains("macro_f1 0.960 [0.938, 0.979]"), "\(spam)")
        #expect(spam.contains("Δ vs single-task +0.006 (p=0.412)") && spam.contains("Δ vs base +0.448 (p<0.001)"))
        #expect(lines.contains { $0.hasPrefix("question (") && $0.contains("accuracy") && $0.contains("-0.006 (p=0.488)") })
    }

    @Test func controlCharactersCannotReachTheTerminal() throws {
        var r = try handBuiltReport()
        r.tasks[0].name = "evil\u{1B}[2J\u{7}name"
        r.pipeline = "p\u{1B}]0;title\u{7}"
        let text = TerminalReportRenderer.render(r)
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(text.contains("evil?[2J?name"))
        #expect(
            TerminalReportRenderer.safe(String(repeating: "x", count: 40)).count
                == TerminalReportRenderer.maximumCellWidth)
    }

    @Test func endsWithTheHTMLPathWhenGiven() throws {
        let text = TerminalReportRenderer.render(
            try handBuiltReport(), htmlPath: "/var/lib/finetuned/exports/p/report.html")
        #expect(text.hasSuffix("\nHTML report: /var/lib/finetuned/exports/p/report.html\n"))
        #expect(!TerminalReportRenderer.render(try handBuiltReport()).contains("HTML report"))
    }

    @Test func emptyReport() {
        #expect(TerminalReportRenderer.render(Report(pipeline: "p", model: "m")).contains("no tasks"))
    }
}
