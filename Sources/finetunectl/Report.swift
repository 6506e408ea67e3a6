import ArgumentParser
import Foundation
import PipelineCore
import Report

/// `finetunectl report PIPELINE|RUN`: the evaluation report of a pipeline's latest evaluate artifact (or of a run's),
/// as a terminal table, as `report.json` (`--json`), or as the path of its `report.html` (`--html`).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Show the evaluation report of a pipeline (its latest evaluate stage) or of a run.",
        discussion: """
            TARGET is a pipeline name (the latest artifact of its evaluate stage), a run id (the artifact its \
            evaluate stage produced or reused), or a folder or file holding report.json. docs/report.md describes \
            the table and the JSON.
            """)

    @OptionGroup var options: EngineOptions
    @Argument(help: "A pipeline name, a run id, or a folder/file with report.json.") var target: String
    @Option(help: "The evaluate stage to show when the pipeline has several.") var stage: String?
    @Flag(help: "Print report.json instead of the table.") var json = false
    @Flag(help: "Print only the path of report.html.") var html = false

    func run() async throws {
        let folder = try resolve()
        let reportPath = folder + "/report.json"
        let report: Report
        do {
            report = try Report.read(contentsOf: URL(fileURLWithPath: reportPath))
        } catch {
            throw failure("\(error)", code: Exit.stageFailed)
        }
        let htmlPath = folder + "/report.html"
        let hasHTML = FileManager.default.fileExists(atPath: htmlPath)
        if html {
            guard hasHTML else { throw failure("\(htmlPath): not found", code: Exit.stageFailed) }
            print(htmlPath)
        } else if json {
            print(String(decoding: try report.jsonData(), as: UTF8.self))
        } else {
            print(TerminalReportRenderer.render(report, htmlPath: hasHTML ? htmlPath : nil), terminator: "")
        }
    }

    /// The folder holding report.json for `target`.
    func resolve() throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if target.contains("/") || target.hasSuffix(".json"), fm.fileExists(atPath: target, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? target : URL(fileURLWithPath: target).deletingLastPathComponent().path
        }
        let engine = try options.engine()
        let state = options.stateDirectory
        // stage name → artifact key, from the pipeline's index or the run's record.
        var keys: [String: String] = [:]
        let indexPath = "\(state)/index/\(target).json"
        if !target.contains("/"), let data = fm.contents(atPath: indexPath), data.count < 64 << 20 {
            guard let index = try? JSONDecoder().decode(PipelineIndex.self, from: data) else {
                throw failure("\(indexPath): unreadable pipeline index", code: Exit.internalError)
            }
            keys = index.stages
        } else if let record = try findRun(state: state) {
            for s in record.stages { if let key = s.key { keys[s.name] = key } }
        } else {
            throw failure(
                "no pipeline or run named '\(target)' in \(state) (hint: finetunectl list; --state-dir)",
                code: Exit.invalidPipeline)
        }
        var found: [(stage: String, files: String)] = []
        for (name, key) in keys.sorted(by: { $0.key < $1.key }) {
            guard let artifact = engine.store.lookup(key), artifact.manifest.producer.plugin == "evaluate" else {
                continue
            }
            if stage == nil || stage == name { found.append((name, artifact.filesDirectory)) }
        }
        if let stage, found.isEmpty {
            throw failure(
                "'\(target)' has no evaluate stage named '\(stage)' with an artifact", code: Exit.invalidPipeline)
        }
        guard let first = found.first else {
            throw failure(
                "'\(target)' has no evaluate artifact (hint: add an evaluate stage and run the pipeline)",
                code: Exit.invalidPipeline)
        }
        guard found.count == 1 else {
            throw failure(
                "'\(target)' has several evaluate stages (\(found.map(\.stage).joined(separator: ", "))); pick one with --stage",
                code: Exit.invalidPipeline)
        }
        return first.files
    }

    /// The record of run `target`: `runs/<pipeline>/<target>/run.json`.
    func findRun(state: String) throws -> RunRecord? {
        guard !target.contains("/"), !target.hasPrefix(".") else { return nil }
        let fm = FileManager.default
        for pipeline in ((try? fm.contentsOfDirectory(atPath: state + "/runs")) ?? []).sorted().prefix(100_000) {
            let path = "\(state)/runs/\(pipeline)/\(target)/run.json"
            guard let data = fm.contents(atPath: path) else { continue }
            guard data.count < 64 << 20, let record = try? JSONDecoder().decode(RunRecord.self, from: data) else {
                throw failure("\(path): unreadable run record", code: Exit.internalError)
            }
            return record
        }
        return nil
    }
}
