import Foundation
import StageKit

/// An example stage: counts the words of its data inputs and of upstream word counts.
///
/// Small enough to read in a minute, real enough to exercise the engine: it reads files, merges upstream
/// artifacts, reports progress and metrics, and writes a deterministic artifact (`counts.tsv`, `summary.json`).
@main
struct WordCountPlugin: StagePlugin {
    static let description = PluginDescription(
        name: "wordcount", version: "1.0.0",
        summary: "Counts the words of its data inputs (and sums upstream wordcount artifacts).",
        params: ParamSchema([
            ParamSpec("lowercase", .boolean, default: true, summary: "fold case before counting"),
            ParamSpec("min_length", .integer(minimum: 1), default: 1, summary: "ignore shorter words"),
            ParamSpec("top", .integer(minimum: 0, maximum: 10_000), default: 10, summary: "words listed in summary.json"),
        ]),
        consumes: "text files of its data inputs; counts.tsv of upstream wordcount stages",
        produces: "counts.tsv (word<TAB>count, by count then word), summary.json")

    func run(_ request: RunRequest, context: StageContext) async throws {
        let lowercase = request.params["lowercase"]?.boolValue ?? true
        let minLength = request.params["min_length"]?.intValue ?? 1
        let top = request.params["top"]?.intValue ?? 10
        var counts: [String: Int] = [:]

        let files = request.data.keys.sorted().flatMap { request.data[$0]!.files }
        for (i, path) in files.enumerated() {
            if context.stopRequested { throw StageStopped() }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw StageFailure("\(path): not readable as UTF-8 text")
            }
            for word in text.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "'" }) {
                guard word.count >= minLength else { continue }
                counts[lowercase ? word.lowercased() : String(word), default: 0] += 1
            }
            context.progress(i + 1, of: files.count, unit: "file")
        }
        for stage in request.upstream.keys.sorted() {
            let path = request.upstream[stage]! + "/counts.tsv"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "\t")
                guard parts.count == 2, let n = Int(parts[1]) else {
                    throw StageFailure("\(path): malformed line '\(line)'")
                }
                counts[String(parts[0]), default: 0] += n
            }
        }

        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let tsv = sorted.map { "\($0.key)\t\($0.value)\n" }.joined()
        try tsv.write(toFile: request.outputDir + "/counts.tsv", atomically: false, encoding: .utf8)
        let total = counts.values.reduce(0, +)
        let summary: JSONValue = .object([
            "total": .int(total), "distinct": .int(counts.count),
            "top": .array(sorted.prefix(top).map { .array([.string($0.key), .int($0.value)]) }),
        ])
        try summary.canonicalJSON.write(toFile: request.outputDir + "/summary.json", atomically: false, encoding: .utf8)
        context.metric("words", Double(total))
        context.result(["total": .int(total), "distinct": .int(counts.count)])
    }
}
