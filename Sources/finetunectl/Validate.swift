import ArgumentParser
import Foundation
import PipelineCore

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check pipeline files and report every problem with file:line:column.")

    @OptionGroup var options: EngineOptions
    @Flag(help: "Print the result as JSON.") var json = false
    @Argument(help: ArgumentHelp("Pipeline files.", valueName: "file")) var files: [String]

    struct Report: Encodable {
        var file: String
        var pipeline: String?
        var valid: Bool
        var stages: [String]
        var diagnostics: [Diagnostic]
    }

    func run() async throws {
        let engine = try options.engine()
        let validator = options.validator(await options.registry(engine))
        var reports: [Report] = []
        for file in files {
            do {
                let pipeline = try validator.validate(file: file)
                reports.append(
                    Report(file: file, pipeline: pipeline.name, valid: true, stages: Array(pipeline.stages.keys), diagnostics: []))
            } catch let invalid as PipelineInvalid {
                reports.append(Report(file: file, pipeline: nil, valid: false, stages: [], diagnostics: invalid.diagnostics))
            }
        }
        if json {
            try printJSON(reports)
        } else {
            for r in reports {
                if r.valid {
                    print("\(r.file): ok (pipeline '\(r.pipeline!)', \(r.stages.count) stages: \(r.stages.joined(separator: " → ")))")
                } else {
                    printError(PipelineInvalid(r.diagnostics).description)
                    printError("\(r.file): \(r.diagnostics.count) error\(r.diagnostics.count == 1 ? "" : "s")")
                }
            }
        }
        if reports.contains(where: { !$0.valid }) { throw Exit.invalidPipeline }
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which stages a run would reuse from the cache and why the others are stale.")

    @OptionGroup var options: EngineOptions
    @Flag(help: "Print the plan as JSON.") var json = false
    @Argument(help: ArgumentHelp("A pipeline file.", valueName: "file")) var file: String

    func run() async throws {
        let engine = try options.engine()
        let pipeline = try options.load(file, with: options.validator(await options.registry(engine)))
        let entries = try engine.plan(pipeline)
        if json { return try printJSON(entries) }
        print("pipeline \(pipeline.name) (\(file))")
        for e in entries {
            let key = e.key.map { " " + $0.prefix(12) } ?? ""
            print("  \(e.stage.padding(toLength: 16, withPad: " ", startingAt: 0)) \(e.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))\(key)")
            for reason in e.reasons { print("      \(reason)") }
        }
        let stale = entries.filter { $0.state != .cached }.count
        print(stale == 0 ? "up to date" : "\(stale) of \(entries.count) stages would run")
    }
}

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain, field by field, why a stage's cached artifact does not match its current inputs.")

    @OptionGroup var options: EngineOptions
    @Flag(help: "Print the explanation as JSON.") var json = false
    @Argument(help: ArgumentHelp("A pipeline file.", valueName: "file")) var file: String
    @Argument(help: ArgumentHelp("A stage of that pipeline.", valueName: "stage")) var stage: String

    func run() async throws {
        let engine = try options.engine()
        let pipeline = try options.load(file, with: options.validator(await options.registry(engine)))
        let explanation: Engine.Explanation
        do {
            explanation = try engine.explain(pipeline, stage: stage)
        } catch let error as EngineError {
            throw failure("\(error)", code: ExitCode.validationFailure)
        }
        if json { return try printJSON(explanation) }
        print("stage \(stage): key \(explanation.key.prefix(12))… \(explanation.cached ? "is cached" : "is not cached")")
        if let previous = explanation.previousKey {
            print("last artifact: \(previous.prefix(12))… (run \(explanation.previousRun ?? "?"))")
        } else {
            print("no previous artifact for this stage")
        }
        for u in explanation.unknownUpstream { print("  upstream.\(u): stale; its output digest is known once it runs") }
        for change in explanation.changes { print("  \(change)") }
        if explanation.changes.isEmpty && explanation.unknownUpstream.isEmpty && !explanation.cached
            && explanation.previousKey != nil
        {
            print("  no field differs, but the artifact is missing from the cache")
        }
    }
}
