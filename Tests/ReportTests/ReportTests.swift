import Foundation
import Testing

@testable import Report

@Suite struct ReportTests {
    @Test func theHandBuiltReportDecodesAndRoundTrips() throws {
        let r = try handBuiltReport()
        #expect(r.tasks.map(\.name) == ["spam", "question"] && r.schemaVersion == 1)
        #expect(r.tasks[0].headlineResult?.value == 0.9602)
        #expect(r.tasks[0].curves[0].points[1] == Curve.Point(step: 100, value: 0.5647))
        let data = try r.jsonData()
        #expect(try Report.decode(data) == r)
        #expect(try r.jsonData() == data, "encoding is deterministic (sorted keys)")
        let text = String(decoding: data, as: UTF8.self)
        for key in [
            "\"schema_version\"", "\"base_model\"", "\"per_class\"", "\"delta_interval\"", "\"p_value\"",
            "\"gate_weights\"", "\"gradient_conflict\"", "\"generated_at\"",
        ] {
            #expect(text.contains(key), "stable key \(key)")
        }
    }

    @Test func optionalSectionsMayBeAbsent() throws {
        let json =
            #"{"schema_version":1,"pipeline":"p","model":"m","tasks":[{"name":"t","kind":"regression","split":"test","rows":3,"headline":"pearson","metrics":[{"name":"pearson","value":0.5}]}]}"#
        let r = try Report.decode(Data(json.utf8))
        #expect(
            r.perplexity.isEmpty && r.gateWeights == nil && r.tasks[0].baselines.isEmpty && r.tasks[0].curves.isEmpty)
    }

    /// Decoding errors name the JSON path of the bad value.
    @Test(arguments: [
        (#"{"schema_version":1,"model":"m"}"#, "pipeline", "missing key"),
        (
            #"{"schema_version":1,"pipeline":"p","model":"m","tasks":[{"name":"t","kind":"classification","split":"s","rows":"x","headline":"a","metrics":[]}]}"#,
            "tasks[0].rows", "expected an integer"
        ),
        (
            #"{"schema_version":1,"pipeline":"p","model":"m","tasks":[{"name":"t","kind":"poetry","split":"s","rows":1,"headline":"a","metrics":[]}]}"#,
            "tasks[0].kind", ""
        ),
        (
            #"{"schema_version":1,"pipeline":"p","model":"m","tasks":[{"name":"t","kind":"regression","split":"s","rows":1,"headline":"a","metrics":[{"name":"a","value":1}],"curves":[{"split":"train","metric":"loss","points":[[1,2,3]]}]}]}"#,
            "tasks[0].curves[0].points[0][2]", "[step, value]"
        ),
        ("{not json", "", "invalid JSON"),
    ])
    func decodingErrorsAreLocated(json: String, path: String, message: String) {
        do {
            _ = try Report.decode(Data(json.utf8), file: "report.json")
            Issue.record("decoded")
        } catch let e as ReportError {
            #expect(e.path == path && e.file == "report.json", "\(e)")
            #expect(message.isEmpty || e.description.contains(message), "\(e)")
        } catch { Issue.record("\(error)") }
    }

    @Test func inconsistentReportsAreRejectedWithPaths() throws {
        var r = try handBuiltReport()
        r.schemaVersion = 2
        r.tasks[0].headline = "nope"
        r.tasks[0].metrics[0].value = .nan
        r.tasks[0].metrics[1].interval?.lower = 2
        r.tasks[1].confusion?.counts[2].removeLast()
        r.tasks[1].confusion?.counts[0][1] = -1
        r.tasks[1].name = "spam"
        r.tasks[1].baselines[0].pValue = 1.5
        r.perplexity[0].after = 0.5
        r.gradientConflict?.values[0][1] = -1.5
        r.gateWeights?.values[1].append(0)
        r.tasks[0].calibration?.bins[3].accuracy = 1.5
        r.tasks[0].calibration?.bins[4].upper = 0
        let paths = Set(r.problems().map(\.path))
        let expected: Set<String> = [
            "schema_version", "tasks[0].headline", "tasks[0].metrics[0].value", "tasks[0].metrics[1].interval",
            "tasks[1].confusion.counts[2]", "tasks[1].confusion.counts[0][1]", "tasks[1].name",
            "tasks[1].baselines[0].p_value",
            "perplexity[0].after", "gradient_conflict.values[0][1]", "gate_weights.values[1]",
            "tasks[0].calibration.bins[3].accuracy", "tasks[0].calibration.bins[4]",
        ]
        #expect(paths == expected, "\(r.problems())")
        #expect(throws: ReportError.self) { try r.validate() }
        #expect(try handBuiltReport().problems().isEmpty)
    }

    @Test func oversizedInputIsRefusedBeforeParsing() {
        let big = Data(count: Report.maximumFileSize + 1)
        #expect { try Report.decode(big) } throws: { ($0 as? ReportError)?.message.contains("limit") == true }
    }

    @Test func limitsBoundCounts() {
        var r = Report(pipeline: "p", model: "m")
        r.tasks = (0...Report.Limits.tasks).map {
            TaskReport(
                name: "t\($0)", kind: .classification, split: "test", rows: 1, headline: "a",
                metrics: [MetricResult(name: "a", value: 1)])
        }
        #expect(r.problems().map(\.path) == ["tasks"])
    }
}
