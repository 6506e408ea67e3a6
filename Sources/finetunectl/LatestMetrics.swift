import Foundation
import PipelineCore
import Report

/// The latest metrics of a pipeline for `finetunectl status`: the headline of every task of the report that
/// `exports/<pipeline>/report` links to (docs/report.md).
enum LatestMetrics {
    static func lines(state: String, pipeline: String) -> [String] {
        guard let exports = PipelineExports.load(state: state, pipeline: pipeline), let folder = exports.report else {
            return []
        }
        let path = folder + "/report.json"
        guard let report = try? Report.read(contentsOf: URL(fileURLWithPath: path)) else {
            return ["    latest report: \(path) is unreadable"]
        }
        let run = report.run.map { " of run \($0)" } ?? ""
        return ["    latest metrics (report\(run), model \(report.model)):"]
            + TerminalReportRenderer.headlines(report).map { "      " + $0 }
    }
}
