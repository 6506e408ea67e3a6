import Foundation
import Models

/// A classification task put to a chat model as an instruction: each row becomes a ChatML prompt (an optional
/// system message and a user message from ``template``, then the opening of the assistant's turn) whose answer is
/// the row's label word.
public struct InstructionTask: Sendable, Equatable {
    public var name: String
    public var system: String?
    /// The user message; `{text}` (exactly once) stands where the row's text goes. Put it after a newline: the
    /// text is encoded on its own (so it can be cut to fit without re-encoding the template), and a byte-level
    /// BPE then splits the boundary as it would in one string.
    public var template: String
    /// The label words, by class index (`labels[k]` answers class k).
    public var labels: [String]
    /// Appended to every answer (trained on and scored): the end of the assistant's turn, so that a label that
    /// is a prefix of another is not favoured.
    public var answerEnd: String

    public static let placeholder = "{text}"

    public init(
        name: String, system: String? = nil, template: String, labels: [String], answerEnd: String = "<|im_end|>"
    ) {
        self.name = name
        self.system = system
        self.template = template
        self.labels = labels
        self.answerEnd = answerEnd
    }
}

/// An ``InstructionTask`` encoded once: the token ids of the prompt around the text and of every answer, and the
/// length every example must fit in. Builds training examples (``example(text:label:)``) whose loss falls on the
/// answer only (``InstructionBatch``), and the prompts that ``LabelScorer`` scores each answer after.
public struct InstructionFormat: Sendable {
    public let task: InstructionTask
    /// The prompt's ids before and after the text.
    public let prefix: [Int32]
    public let suffix: [Int32]
    /// Per class: the answer's ids (label word, then ``InstructionTask/answerEnd``).
    public let answers: [[Int32]]
    /// Prompt plus answer never exceed this (texts are cut from their end to fit the longest answer).
    public let maxLength: Int

    /// Throws a located ``TrainingError`` when the template has no `{text}` (or several), the labels are empty,
    /// repeated or encode to nothing, or the prompt and the longest answer leave no room for text in `maxLength`.
    public init(
        task: InstructionTask, chat: ChatMLTemplate, maxLength: Int, encode: (String) throws -> [Int32]
    ) throws {
        func fail(_ message: String, _ hint: String? = nil) -> TrainingError {
            TrainingError(.invalidInput, file: "task '\(task.name)'", message: message, hint: hint)
        }
        let pieces = task.template.components(separatedBy: InstructionTask.placeholder)
        guard pieces.count == 2 else {
            throw fail(
                "the template has \(pieces.count - 1) '{text}' placeholders", "write '{text}' exactly once")
        }
        guard !task.labels.isEmpty else { throw fail("no label words") }
        if let dup = task.labels.first(where: { l in task.labels.filter { $0 == l }.count > 1 }) {
            throw fail("the label word '\(dup)' is given twice")
        }
        // The rendered chat around a sentinel: ChatML only concatenates, so what precedes and follows the
        // sentinel is the prompt around the text.
        let sentinel = "\u{1}\u{2}text\u{2}\u{1}"
        var messages: [ChatMLTemplate.Message] = []
        if let system = task.system { messages.append(.init(role: "system", content: system)) }
        messages.append(.init(role: "user", content: pieces[0] + sentinel + pieces[1]))
        let rendered = chat.apply(messages, addGenerationPrompt: true)
        guard let at = rendered.range(of: sentinel) else { throw fail("the chat template lost the text") }
        prefix = try encode(String(rendered[..<at.lowerBound]))
        suffix = try encode(String(rendered[at.upperBound...]))
        for label in task.labels where try encode(label).isEmpty {
            throw fail("the label word '\(label)' encodes to no tokens")
        }
        answers = try task.labels.map { try encode($0 + task.answerEnd) }
        let longest = answers.map(\.count).max() ?? 0
        guard prefix.count + suffix.count + longest < maxLength else {
            throw fail(
                "the prompt (\(prefix.count + suffix.count) tokens) and the longest answer (\(longest)) leave no "
                    + "room for text in \(maxLength) tokens", "raise max_length or shorten the template")
        }
        self.task = task
        self.maxLength = maxLength
    }

    /// Tokens left for a row's text.
    public var textBudget: Int { maxLength - prefix.count - suffix.count - (answers.map(\.count).max() ?? 0) }

    /// The prompt for a text's ids (cut to ``textBudget``): what precedes the answer.
    public func prompt(text: [Int32]) -> [Int32] { prefix + text.prefix(textBudget) + suffix }

    /// A training example: the prompt then class `label`'s answer, and where the answer starts.
    public func example(text: [Int32], label: Int) -> InstructionExample {
        let p = prompt(text: text)
        return InstructionExample(ids: p + answers[label], answerStart: p.count)
    }
}

/// One prompt and its answer as one sequence; the answer is `ids[answerStart...]`.
public struct InstructionExample: Sendable, Equatable {
    public var ids: [Int32]
    public var answerStart: Int

    public init(ids: [Int32], answerStart: Int) {
        self.ids = ids
        self.answerStart = answerStart
    }
}

/// Right-padded causal-LM batches of instruction examples whose targets are the answer tokens only: position t
/// predicts token t+1 only when t+1 is in the answer, so the prompt is context and never a training target.
public enum InstructionBatch {
    public static func batch(_ examples: [InstructionExample], padID: Int32) -> LMBatch {
        let time = max(1, examples.map(\.ids.count).max() ?? 1)
        var ids = [Int32](repeating: padID, count: examples.count * time)
        var mask = [Int32](repeating: 0, count: examples.count * time)
        var targets = [Int32](repeating: -100, count: examples.count * time)
        for (b, e) in examples.enumerated() {
            let o = b * time
            for (t, id) in e.ids.enumerated() {
                ids[o + t] = id
                mask[o + t] = 1
            }
            for t in max(0, e.answerStart - 1)..<max(0, e.ids.count - 1) { targets[o + t] = e.ids[t + 1] }
        }
        return LMBatch(
            batch: examples.count, time: time, ids: ids, mask: mask, targets: targets,
            tokens: examples.reduce(0) { $0 + $1.ids.count })
    }
}

/// Prediction in instruction format: each class's answer scored by its total log-likelihood after the prompt,
/// the highest winning. One forward pass of the prompt fills a KV cache; each answer continues a copy of it.
public enum LabelScorer {
    /// `log p(answer_k | prompt)` (nats, summed over the answer's tokens) for every answer. Throws on ids outside
    /// the vocabulary or a prompt plus answer longer than the context.
    public static func logLikelihoods(model: LlamaModel, prompt: [Int32], answers: [[Int32]]) throws -> [Double] {
        guard !prompt.isEmpty else {
            throw ModelError(.invalidInput, "an empty prompt: the first answer token has nothing to follow")
        }
        let cache = LlamaKVCache(layers: model.layers.count)
        let promptLogits = try model.forward(prompt, cache: cache)  // [T, V]
        let v = model.config.vocabSize
        let last = Array(promptLogits.scalars[((prompt.count - 1) * v)..<(prompt.count * v)])
        return try answers.map { answer in
            guard let first = answer.first else { return 0 }
            var total = logSoftmax(last, at: Int(first))
            if answer.count > 1 {
                let logits = try model.forward(Array(answer.dropLast()), cache: cache.copy()).scalars  // [A-1, V]
                for i in 1..<answer.count {
                    total += logSoftmax(Array(logits[((i - 1) * v)..<(i * v)]), at: Int(answer[i]))
                }
            }
            return total
        }
    }

    /// The class whose answer has the highest log-likelihood (the lowest index on ties), and every score.
    public static func predict(model: LlamaModel, prompt: [Int32], answers: [[Int32]]) throws
        -> (label: Int, logLikelihoods: [Double])
    {
        let scores = try logLikelihoods(model: model, prompt: prompt, answers: answers)
        var best = 0
        for k in scores.indices where scores[k] > scores[best] { best = k }
        return (best, scores)
    }

    /// `log softmax(row)[k]` in double precision.
    static func logSoftmax(_ row: [Float], at k: Int) -> Double {
        let top = Double(row.max() ?? 0)
        let sum = row.reduce(0.0) { $0 + Foundation.exp(Double($1) - top) }
        return Double(row[k]) - top - Foundation.log(sum)
    }
}
