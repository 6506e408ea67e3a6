import Datasets
import Foundation
import PipelineCore
import Report
import StageKit
import TestSupport
import Testing

/// tokenize → domain-pretrain → evaluate through the real engine and the three real executables on a tiny BERT:
/// changing only an evaluate parameter re-runs only the evaluate stage (the other two come from the cache), and
/// the report it writes is the one the engine stores as the stage's artifact.
@Suite(.serialized) struct EvaluatePipelineTests {
    static func pipeline(resamples: Int) -> String {
        """
        version: 1
        name: dapt-tiny
        seed: 7
        model: { base: model }
        data:
          emma: { path: data/emma.txt, format: text }
          sms:  { path: data/sms.txt, format: text }
        stages:
          tokenize:
            plugin: tokenize
            inputs: [emma, sms]
            with: { max_length: 32, splits: { train: 0.8, validation: 0.2, test: 0 } }
          dapt:
            plugin: domain-pretrain
            after: [tokenize]
            with: { corpus: emma, general: sms, steps: 4, head_warmup_steps: 2, batch_size: 4, eval_every: 0, eval_rows: 8, checkpoint_every: 0 }
          evaluate:
            plugin: evaluate
            after: [tokenize, dapt]
            with: { corpus: emma, general: sms, rows: 8, resamples: \(resamples) }
        """
    }

    @Test func changingOnlyAnEvaluateParameterRerunsOnlyTheEvaluateStage() async throws {
        let ws = try EvaluateWorkspace()
        try ws.write(
            "data/emma.txt",
            try String(
                contentsOfFile: repositoryRoot + "/Tests/DatasetsTests/Fixtures/emma-chapters.txt", encoding: .utf8))
        var sms: [String] = []
        try JSONLReader(mapping: FieldMapping(text: "text", label: nil)).read(
            path: repositoryRoot + "/Tests/DatasetsTests/Fixtures/tasks/spam.jsonl", policy: .skip
        ) { sms.append($0.text) }
        try ws.write("data/sms.txt", sms.prefix(400).joined(separator: "\n\n") + "\n")
        try ws.write("p.yaml", Self.pipeline(resamples: 100))

        let engine = try Engine(
            stateDirectory: ws.root + "/state", runner: SubprocessStageRunner(gracePeriod: .seconds(2)), jobs: 1,
            threadsPerStage: 1)
        let registry = await engine.discoverPlugins(directories: [EvaluateWorkspace.buildDirectory])
        #expect(
            registry["evaluate"] != nil, "finetuned-stage-evaluate not found in \(EvaluateWorkspace.buildDirectory)")
        func run() async throws -> RunRecord {
            let pipeline = try PipelineValidator(registry: registry).validate(file: ws.root + "/p.yaml")
            return try await engine.run(pipeline)
        }
        let first = try await run()
        #expect(first.status == .succeeded, "\(first.stages.map { ($0.name, $0.error ?? "") })")
        #expect(first.executed == ["tokenize", "dapt", "evaluate"])
        let key = try #require(first.stage("evaluate")?.key)
        let artifact = try #require(engine.store.lookup(key))
        let report = try Report.read(contentsOf: URL(fileURLWithPath: artifact.filesDirectory + "/report.json"))
        #expect(
            report.pipeline == "dapt-tiny" && report.model == "dapt" && report.tasks.map(\.name) == ["emma", "sms"])
        #expect(report.tasks[0].headlineResult?.interval?.resamples == 100)
        #expect(FileManager.default.fileExists(atPath: artifact.filesDirectory + "/report.html"))

        #expect(try await run().executed.isEmpty)
        try ws.write("p.yaml", Self.pipeline(resamples: 150))
        let second = try await run()
        #expect(second.status == .succeeded)
        #expect(second.executed == ["evaluate"])
        let newKey = try #require(second.stage("evaluate")?.key)
        let rerun = try Report.read(
            contentsOf: URL(fileURLWithPath: try #require(engine.store.lookup(newKey)).filesDirectory + "/report.json"))
        #expect(rerun.tasks[0].headlineResult?.interval?.resamples == 150)
        // The point estimates depend on the models, rows and masks only, not on the bootstrap.
        #expect(rerun.tasks.map { $0.headlineResult?.value } == report.tasks.map { $0.headlineResult?.value })

        // finetunectl report: the pipeline's latest report, a run's, as a table, as JSON, as the page's path.
        let state = ["--state-dir", ws.root + "/state"]
        let table = try await finetunectl(["report", "dapt-tiny"] + state)
        #expect(table.status == 0, "\(table.error)")
        let newFiles = try #require(engine.store.lookup(newKey)).filesDirectory
        #expect(table.output == TerminalReportRenderer.render(rerun, htmlPath: newFiles + "/report.html"))
        let json = try await finetunectl(["report", "dapt-tiny", "--json"] + state)
        #expect(try Report.decode(Data(json.output.utf8)) == rerun)
        let old = try await finetunectl(["report", first.runID, "--json"] + state)
        #expect(try Report.decode(Data(old.output.utf8)) == report)
        let page = try await finetunectl(["report", "dapt-tiny", "--html"] + state)
        #expect(page.output == newFiles + "/report.html\n")
        let missing = try await finetunectl(["report", "nope"] + state)
        #expect(missing.status == 65 && missing.error.contains("no pipeline or run named 'nope'"))
    }

    static func multitaskPipeline(resamples: Int) -> String {
        """
        version: 1
        name: mt-tiny
        seed: 7
        model: { base: mt }
        data:
          sms: { path: data/sms.jsonl, format: jsonl, text: text, label: label }
        stages:
          tokenize:
            plugin: tokenize
            inputs: [sms]
            with: { max_length: 32, splits: { from: fractions, train: 0.5, validation: 0.1, test: 0.4 } }
          evaluate:
            plugin: evaluate
            after: [tokenize]
            with: { multitask: base, resamples: \(resamples) }
        """
    }

    /// A multitask artifact as `model.base`, scored on the test split of a tokenize stage through the engine:
    /// changing only an evaluate parameter re-runs only the evaluate stage; exports/<pipeline>/ links the latest
    /// report and the model it evaluated; `finetunectl report` and `finetunectl predict` find them by the
    /// pipeline's name.
    @Test func aMultitaskEvaluationRerunsAloneAndIsExported() async throws {
        let mt = try MultitaskWorkspace()
        let ws = mt.ws
        let (modelDir, _) = try mt.multitask("mt", tasks: [MultitaskWorkspace.tasks[0]])
        try FileManager.default.copyItem(
            atPath: repositoryRoot + "/Tests/DatasetsTests/Fixtures/tasks/spam.jsonl", toPath: ws.root + "/data/sms.jsonl")
        try ws.write("p.yaml", Self.multitaskPipeline(resamples: 100))
        let state = ws.root + "/state"
        let engine = try Engine(
            stateDirectory: state, runner: SubprocessStageRunner(gracePeriod: .seconds(2)), jobs: 1, threadsPerStage: 1)
        let registry = await engine.discoverPlugins(directories: [EvaluateWorkspace.buildDirectory])
        func run() async throws -> RunRecord {
            try await engine.run(try PipelineValidator(registry: registry).validate(file: ws.root + "/p.yaml"))
        }
        let first = try await run()
        #expect(first.status == .succeeded, "\(first.stages.map { ($0.name, $0.error ?? "") })")
        #expect(first.executed == ["tokenize", "evaluate"])
        let firstKey = try #require(first.stage("evaluate")?.key)
        let files = try #require(engine.store.lookup(firstKey)).filesDirectory
        let report = try Report.read(contentsOf: URL(fileURLWithPath: files + "/report.json"))
        #expect(report.model == "base" && report.tasks.map(\.name) == ["sms"] && report.tasks[0].split == "test")
        #expect(report.tasks[0].headlineResult?.interval?.resamples == 100)
        #expect(FileManager.default.fileExists(atPath: files + "/predictions/sms.jsonl"))

        let exports = state + "/exports/mt-tiny"
        let fm = FileManager.default
        #expect(try fm.destinationOfSymbolicLink(atPath: exports + "/report") == files)
        #expect(try fm.destinationOfSymbolicLink(atPath: exports + "/model") == modelDir)
        #expect(PipelineExports.load(state: state, pipeline: "mt-tiny")?.stages.keys.sorted() == ["evaluate", "tokenize"])

        // Only the evaluate parameter changes: tokenize comes from the cache; the exports follow the new report.
        try ws.write("p.yaml", Self.multitaskPipeline(resamples: 150))
        let second = try await run()
        #expect(second.status == .succeeded && second.executed == ["evaluate"])
        let secondKey = try #require(second.stage("evaluate")?.key)
        let newFiles = try #require(engine.store.lookup(secondKey)).filesDirectory
        #expect(newFiles != files)
        #expect(try fm.destinationOfSymbolicLink(atPath: exports + "/report") == newFiles)
        let rerun = try Report.read(contentsOf: URL(fileURLWithPath: newFiles + "/report.json"))
        #expect(rerun.tasks[0].headlineResult?.interval?.resamples == 150)
        #expect(rerun.tasks[0].headlineResult?.value == report.tasks[0].headlineResult?.value)

        let table = try await finetunectl(["report", "mt-tiny", "--state-dir", state])
        #expect(table.output == TerminalReportRenderer.render(rerun, htmlPath: newFiles + "/report.html"))
        #expect(table.output.contains("macro_f1 *"))
        let predicted = try await finetunectl(["predict", "mt-tiny", "--state-dir", state, "Free entry! text WIN"])
        #expect(predicted.status == 0, "\(predicted.error)")
        #expect(predicted.output.hasPrefix("{\"id\":\"1\",\"tasks\":{"), "\(predicted.output)")
    }

    /// Runs the built `finetunectl` with `arguments`.
    func finetunectl(_ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
        try await offThePool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: EvaluateWorkspace.buildDirectory + "/finetunectl")
            p.arguments = arguments
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let output = out.fileHandleForReading.readDataToEndOfFile()
            let error = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (
                p.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self)
            )
        }
    }
}
