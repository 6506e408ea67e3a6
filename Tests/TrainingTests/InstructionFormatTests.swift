import Foundation
import Models
import NN
import Tensor
import Testing

@testable import Training

/// The instruction format on a tiny random Llama, with a character-level encoder standing in for the tokenizer.
@Suite struct InstructionFormatTests {
    static let vocab = 64

    /// One id per character (3...63).
    static func encode(_ s: String) -> [Int32] { s.unicodeScalars.map { Int32($0.value % 61) + 3 } }

    static func model() -> LlamaModel {
        var c = LlamaConfig()
        (c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers) = (vocab, 16, 24, 2)
        (c.numAttentionHeads, c.numKeyValueHeads, c.rmsNormEps, c.ropeTheta) = (4, 2, 1e-5, 100)
        c.maxPositionEmbeddings = 256
        let m = LlamaModel(config: c, seed: 4)
        for (k, (_, p)) in m.namedParameters.enumerated() {
            let r = GradientCheck.randomTensor(p.shape, seed: UInt64(k + 11), scale: 0.4)
            p.pointer.update(from: r.pointer, count: p.count)
        }
        return m
    }

    static let task = InstructionTask(
        name: "spam", system: "Be brief.", template: "Is this spam?\n{text}", labels: ["ham", "spam", "sp"],
        answerEnd: "|")

    static func format(maxLength: Int = 200) throws -> InstructionFormat {
        try InstructionFormat(task: task, chat: ChatMLTemplate(), maxLength: maxLength, encode: encode)
    }

    @Test func thePromptIsTheChatMLRenderingAroundTheText() throws {
        let f = try Self.format()
        let text = "win a prize"
        let rendered = ChatMLTemplate().apply(
            [.init(role: "system", content: "Be brief."), .init(role: "user", content: "Is this spam?\n" + text)],
            addGenerationPrompt: true)
        #expect(f.prompt(text: Self.encode(text)) == Self.encode(rendered))
        #expect(f.answers == [Self.encode("ham|"), Self.encode("spam|"), Self.encode("sp|")])
        // A long text is cut so that prompt and the longest answer fit.
        let long = f.example(text: Self.encode(String(repeating: "x", count: 500)), label: 1)
        #expect(long.ids.count == 200)  // "spam|" is the longest answer (5 tokens)
        #expect(f.example(text: Self.encode(String(repeating: "x", count: 500)), label: 0).ids.count == 199)  // "ham|"
    }

    /// Targets fall exactly on the answer tokens (each predicted from the position before it), and the loss the
    /// training stages compute is the mean cross-entropy over those positions, by hand from the full logits.
    @Test func theLossMasksExactlyTheAnswerTokens() throws {
        let f = try Self.format()
        let m = Self.model()
        let examples = [
            f.example(text: Self.encode("hello there"), label: 0), f.example(text: Self.encode("free cash now!"), label: 1),
            f.example(text: Self.encode("ok"), label: 2),
        ]
        let b = InstructionBatch.batch(examples, padID: 0)
        #expect(b.batch == 3 && b.time == examples.map(\.ids.count).max())
        for (r, e) in examples.enumerated() {
            for t in 0..<b.time {
                let inAnswer = t + 1 >= e.answerStart && t + 1 < e.ids.count
                #expect(b.targets[r * b.time + t] == (inAnswer ? e.ids[t + 1] : -100), "row \(r) position \(t)")
                #expect(b.mask[r * b.time + t] == (t < e.ids.count ? 1 : 0))
            }
        }
        #expect(b.targetCount == examples.reduce(0) { $0 + $1.ids.count - $1.answerStart })

        let (loss, count) = GradMode.withoutGrad { LanguageModel.llama(m).loss(b, context: .inference) }
        #expect(count == b.targetCount)
        let logits = GradMode.withoutGrad { m(b.ids, batch: b.batch, time: b.time) }.scalars  // [B, T, V]
        var total = 0.0
        for (i, target) in b.targets.enumerated() where target != -100 {
            let row = Array(logits[(i * Self.vocab)..<((i + 1) * Self.vocab)])
            total -= LabelScorer.logSoftmax(row, at: Int(target))
        }
        #expect(abs(Double(loss.item) - total / Double(count)) <= 1e-5)

    }

    /// The scorer's log-likelihood of each answer (KV cache, one prompt pass) equals the sum computed by hand from
    /// the full forward pass of prompt + answer, and it predicts the best one.
    @Test func scoringPicksTheLabelWithTheHighestHandComputedLogLikelihood() throws {
        let f = try Self.format()
        let m = Self.model()
        for text in ["hello there", "free cash now!", "call 0800 to claim"] {
            let prompt = f.prompt(text: Self.encode(text))
            let (label, scores) = try LabelScorer.predict(model: m, prompt: prompt, answers: f.answers)
            var byHand: [Double] = []
            for answer in f.answers {
                let ids = prompt + answer
                let logits = GradMode.withoutGrad { m(ids, batch: 1, time: ids.count) }.scalars
                var ll = 0.0
                for (i, token) in answer.enumerated() {
                    let t = prompt.count + i - 1  // the position that predicts answer[i]
                    ll += LabelScorer.logSoftmax(Array(logits[(t * Self.vocab)..<((t + 1) * Self.vocab)]), at: Int(token))
                }
                byHand.append(ll)
            }
            for (a, b) in zip(scores, byHand) { #expect(abs(a - b) <= 1e-3 * max(1, abs(b)), "\(text): \(a) vs \(b)") }
            let best = byHand.indices.max { byHand[$0] < byHand[$1] }
            #expect(label == best, "\(text): \(scores)")
            #expect(scores.allSatisfy { $0 < 0 && $0.isFinite })
        }
    }

    @Test func badTasksAreLocatedErrors() throws {
        func message(_ task: InstructionTask, maxLength: Int = 200) -> String {
            do {
                _ = try InstructionFormat(task: task, chat: ChatMLTemplate(), maxLength: maxLength, encode: Self.encode)
                return "no error"
            } catch let e as TrainingError { return e.description } catch { return "\(error)" }
        }
        var t = Self.task
        t.template = "no placeholder"
        #expect(message(t).contains("task 'spam'") && message(t).contains("0 '{text}' placeholders"))
        t.template = "{text} and {text}"
        #expect(message(t).contains("2 '{text}'"))
        t = Self.task
        t.labels = ["ham", "ham"]
        #expect(message(t).contains("'ham' is given twice"))
        t.labels = []
        #expect(message(t).contains("no label words"))
        t.labels = ["", "spam"]
        #expect(message(t).contains("encodes to no tokens"))
        #expect(message(Self.task, maxLength: 40).contains("leave no room for text in 40 tokens"))
        #expect(throws: ModelError.self) {
            try LabelScorer.logLikelihoods(model: Self.model(), prompt: [3, 70], answers: [[4]])  // 70 ≥ vocabulary
        }
    }
}
