import Foundation
import Models
import NN
import Tensor
import TestSupport
import Testing
import Tokenizers
import Training

/// `finetunectl predict` end to end: the built executable on a tiny multitask artifact, its JSON lines checked
/// against the model's own per-task forward pass on the tokenizer's ids, from arguments, stdin and a file, with
/// located errors for a bad model folder and bounded lines.
@Suite(.serialized) struct PredictCommandTests {
    /// Runs the built `finetunectl` with `arguments` and `input` on stdin.
    static func finetunectl(_ arguments: [String], input: String = "") async throws -> (
        status: Int32, output: String, error: String
    ) {
        try await offThePool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: EvaluateWorkspace.buildDirectory + "/finetunectl")
            p.arguments = arguments
            let stdin = Pipe(), out = Pipe(), err = Pipe()
            p.standardInput = stdin
            p.standardOutput = out
            p.standardError = err
            try p.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
            let output = out.fileHandleForReading.readDataToEndOfFile()
            let error = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (
                p.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self)
            )
        }
    }

    static func lines(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// What the model's per-task path gives for `text`: p(spam) and the score.
    static func expected(_ model: MultitaskModel, tokenizer: Tokenizer, _ text: String) throws -> (
        spam: Double, score: Double
    ) {
        let ids = try tokenizer.encode(text).ids32
        let input = EncoderInput(
            batch: 1, time: ids.count, inputIds: ids, attentionMask: [Int32](repeating: 1, count: ids.count))
        return GradMode.withoutGrad {
            let logits = model(TaskBatch(task: 0, input: input), context: .inference).output
            let value = model(TaskBatch(task: 1, input: input), context: .inference).output
            let l0 = Double(logits.pointer[0]), l1 = Double(logits.pointer[1])
            return (exp(l1) / (exp(l0) + exp(l1)), Double(value.pointer[0]))
        }
    }

    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-5) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func predictsEveryTaskOfEachTextLikeTheModel() async throws {
        let mt = try MultitaskWorkspace()
        let experts = CustomizedGateControl.Configuration(
            sharedExperts: 1, taskExperts: 1, expertHidden: 4, expertOutput: 4, levels: 1)
        let (dir, model) = try mt.multitask("mt", experts: experts)
        var tokenizer = try Tokenizer(contentsOf: URL(fileURLWithPath: dir + "/tokenizer.json"))
        tokenizer.truncation = TruncationParams(maxLength: 32)
        tokenizer.padding = nil
        let long = Array(repeating: "winner", count: 60).joined(separator: " ")
        let texts = ["WINNER!! claim your prize now", "see you at lunch?", long]

        for batch in ["1", "2"] {
            let run = try await Self.finetunectl(["predict", dir] + texts + ["--batch", batch])
            #expect(run.status == 0, "\(run.error)")
            let lines = Self.lines(run.output)
            #expect(lines.map { $0["id"] as? String } == ["1", "2", "3"])
            #expect(lines.map { $0["text"] as? String } == texts)
            #expect(lines.map { $0["truncated"] as? Bool } == [nil, nil, true])
            for (line, text) in zip(lines, texts) {
                let (spam, score) = try Self.expected(model, tokenizer: tokenizer, text)
                let tasks = try #require(line["tasks"] as? [String: Any])
                let sms = try #require(tasks["sms"] as? [String: Any])
                let p = try #require(sms["probabilities"] as? [String: Double])
                #expect(close(p["spam"], spam) && close(p["ham"], 1 - spam), "\(text): \(p) vs \(spam)")
                #expect(sms["label"] as? String == (spam > 0.5 ? "spam" : "ham"))
                #expect(close((tasks["score"] as? [String: Any])?["value"] as? Double, score))
            }
        }

        // Standard input (empty lines skipped, ids are line numbers), one task, no text echoed.
        let piped = try await Self.finetunectl(["predict", dir, "--task", "score", "--no-text"], input: "a b\n\nc d\n")
        #expect(piped.status == 0, "\(piped.error)")
        let pipedLines = Self.lines(piped.output)
        #expect(pipedLines.map { $0["id"] as? String } == ["1", "3"])
        #expect(
            pipedLines.allSatisfy { $0["text"] == nil && ($0["tasks"] as? [String: Any])?.keys.sorted() == ["score"] })

        // A file with a line over the bound: that line is an error row, the others are predicted, exit 1.
        let file = try mt.ws.write("inputs.txt", "short one\n" + String(repeating: "x", count: 300) + "\nlast\n")
        let bounded = try await Self.finetunectl(["predict", dir, "--file", file, "--max-line-bytes", "100"])
        #expect(bounded.status == 1)
        let boundedLines = Self.lines(bounded.output)
        #expect(boundedLines.map { $0["id"] as? String } == ["1", "2", "3"])
        #expect((boundedLines[1]["error"] as? String)?.contains("inputs.txt:2: line of 300") == true, "\(boundedLines)")
    }

    @Test func aBadModelFolderIsALocatedError() async throws {
        let mt = try MultitaskWorkspace()
        let (dir, _) = try mt.multitask("mt")
        let unknown = try await Self.finetunectl(["predict", dir, "--task", "nope", "x"])
        #expect(
            unknown.status == 65
                && unknown.error.contains("--task nope: the model has no such task (tasks: sms, score)"))
        try mt.ws.write("mt/multitask.json", "{\"format_version\": 7}")
        let broken = try await Self.finetunectl(["predict", dir, "x"])
        #expect(broken.status == 65 && broken.error.contains(dir + "/multitask.json"), "\(broken.error)")
        let missing = try await Self.finetunectl(["predict", mt.root + "/nowhere", "x"])
        #expect(missing.status == 65 && missing.error.contains("not a model folder"), "\(missing.error)")
    }
}
