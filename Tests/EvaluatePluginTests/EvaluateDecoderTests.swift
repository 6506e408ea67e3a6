import Datasets
import Foundation
import Models
import NN
import Report
import StageKit
import Tensor
import Testing

/// The causal-LM path of the real `finetuned-stage-evaluate` executable: a tiny GPT-2 (the MiniLM tokenizer's
/// 30522 ids) evaluated as the base model scores every next token, and its perplexity equals the one computed
/// here row by row from the model's full logits, without padding or the stage's row gather.
@Suite(.serialized) struct EvaluateDecoderTests {
    @Test func aDecoderIsScoredOnEveryNextToken() async throws {
        let ws = try EvaluateWorkspace()
        let gpt = ws.root + "/gpt"
        try FileManager.default.createDirectory(atPath: gpt, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: EvaluateWorkspace.tokenizer, toPath: gpt + "/tokenizer.json")
        try ws.write(
            "gpt/config.json",
            """
            {"model_type": "gpt2", "vocab_size": 30522, "n_positions": 32, "n_embd": 8, "n_layer": 2, "n_head": 2,
             "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}
            """)
        let model = GPTModel(config: try GPTConfig(contentsOf: URL(fileURLWithPath: gpt + "/config.json")), seed: 6)
        try model.save(to: gpt + "/model.safetensors")

        let params: StageKit.JSONValue = [
            "corpus": "corpus", "general": "general", "split": "validation", "rows": 5, "batch_size": 2,
            "resamples": 50,
        ]
        let outcome = try await ws.run(
            EvaluateWorkspace.evaluate,
            try ws.request(
                "clm", stage: "evaluate", params: params, upstream: ["tokenize": ws.artifact], modelBase: gpt))
        #expect(outcome.status == 0, "\(outcome.events.suffix(3))")
        let report = try Report.read(contentsOf: URL(fileURLWithPath: ws.output("clm") + "/report.json"))
        #expect(report.model == "base" && report.tasks.map(\.rows) == [5, 5])

        for (task, input) in zip(report.tasks, ["corpus", "general"]) {
            let shard = try TokenShardReader(path: ws.artifact + "/tokens/\(input)/validation.bin")
            var nll = 0.0
            var count = 0
            for row in 0..<5 {
                let ids = shard.tokens(at: row).map { Int32($0) }
                let logits = GradMode.withoutGrad {
                    model(ids, batch: 1, time: ids.count, context: .inference).reshaped([ids.count, 30522])
                }  // [T, V]
                let targets = Array(ids.dropFirst()) + [-100]
                nll += Double(crossEntropy(logits: logits, targets: targets).item) * Double(ids.count - 1)
                count += ids.count - 1
            }
            let expected = exp(nll / Double(count))
            let value = try #require(task.headlineResult?.value)
            #expect(abs(value - expected) <= 1e-4 * expected, "\(input): \(value) vs \(expected)")
        }
        #expect(report.perplexity.isEmpty)
    }
}
