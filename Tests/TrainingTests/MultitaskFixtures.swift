import Models
import NN
import Tensor

@testable import Training

/// A tiny BERT trunk and a batch per task kind, for the multitask tests.
enum TinyMultitask {
    static var config: BertConfig {
        var c = BertConfig()
        (c.vocabSize, c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize) = (21, 8, 2, 2, 16)
        c.maxPositionEmbeddings = 12
        return c
    }

    static let tasks = [
        TaskSpec(name: "spam", kind: .sequenceClassification, labels: 2),
        TaskSpec(name: "rating", kind: .regression, labels: 1),
        TaskSpec(name: "tags", kind: .tokenClassification, labels: 3),
    ]

    static func input(_ k: Int) -> EncoderInput {
        let ids = (0..<12).map { Int32(($0 * 5 + k * 3 + 1) % 21) }
        return EncoderInput(
            batch: 3, time: 4, inputIds: ids, attentionMask: [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0])
    }

    static var batches: [TaskBatch] {
        [
            TaskBatch(task: 0, input: input(0), classes: [1, 0, 1]),
            TaskBatch(task: 1, input: input(1), values: [0.5, -1, 2]),
            TaskBatch(task: 2, input: input(2), classes: [0, 2, 1, 1, 2, 0, 1, -100, 1, 0, -100, -100]),
        ]
    }

    static func model(experts: CustomizedGateControl.Configuration? = nil, domains: Int = 0) throws -> MultitaskModel {
        try MultitaskModel(
            trunk: BertModel(config: config, pooler: false, seed: 3), tasks: tasks, pooling: .mean, experts: experts,
            domains: domains, headDropout: 0, seed: 4)
    }
}
