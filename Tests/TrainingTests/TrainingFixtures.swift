import Foundation
import Models
import NN
import Tensor

@testable import Training

/// A tiny BERT with its MLM head, and an MLM loss over a fixed batch, for the training tests.
enum TinyBert {
    static var config: BertConfig {
        var c = BertConfig()
        (c.vocabSize, c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize) = (23, 8, 2, 2, 16)
        c.maxPositionEmbeddings = 16
        return c
    }

    static func model(seed: UInt64 = 3) -> BertForMaskedLM { BertForMaskedLM(config: config, seed: seed) }

    /// Rows of ids for B=4, T=6 with padding, and MLM targets (-100 except at a few positions).
    static func rows(_ k: Int) -> (ids: [Int32], targets: [Int32]) {
        let ids = (0..<6).map { Int32(($0 * 7 + k * 5 + 1) % 23) }
        var targets = [Int32](repeating: -100, count: 6)
        targets[(k + 1) % 6] = Int32((k * 3 + 2) % 23)
        targets[(k + 3) % 6] = Int32((k * 11 + 4) % 23)
        if k % 2 == 0 { targets[5] = 9 }
        return (ids, targets)
    }

    /// The mean MLM loss of rows `ks`, logits only at the target positions.
    static func loss(_ model: BertForMaskedLM, rows ks: [Int], context: ForwardContext) -> (Tensor, Int) {
        let rs = ks.map(rows)
        let input = EncoderInput(batch: ks.count, time: 6, inputIds: rs.flatMap(\.ids))
        let targets = rs.flatMap(\.targets)
        let hidden = model.bert(input, context: context).reshaped([ks.count * 6, 8])
        let at = targets.indices.filter { targets[$0] != -100 }
        let logits = model.head(hidden.gatheringRows(at), wordEmbeddings: model.bert.wordEmbeddings.weight)
        return (crossEntropy(logits: logits, targets: at.map { targets[$0] }), at.count)
    }
}

/// Collects a loop's events.
final class RecordingEvents: TrainingEvents {
    var progress: [Int] = []
    var metrics: [(String, Double, Int)] = []
    var checkpoints: [Int] = []
    var logs: [String] = []
    func progress(step: Int, total: Int, message: String) { progress.append(step) }
    func metric(_ name: String, _ value: Double, step: Int) { metrics.append((name, value, step)) }
    func checkpointSaved(step: Int) { checkpoints.append(step) }
    func log(_ message: String) { logs.append(message) }
}

func temporaryDirectory(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
