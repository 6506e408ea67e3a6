import Datasets
import Foundation
import Models
import NN
import Testing

@testable import Training

@Suite struct TaskBatcherTests {
    func shard(_ contents: TokenShard.Contents, _ rows: [([UInt32], Int32, Float, Int?)]) throws -> (
        TokenShardReader, String
    ) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString).bin").path
        let w = try TokenShardWriter(path: path, tokenWidth: 2, contents: contents)
        for (tokens, c, v, first) in rows {
            try w.append(tokens, classLabel: c, numericLabel: v, firstSegmentLength: first)
        }
        try w.finish()
        return (try TokenShardReader(path: path), path)
    }

    @Test func pairsGetSegmentIdsPaddingAndLabels() throws {
        let (reader, path) = try shard(
            [.classLabels, .pairs], [([101, 7, 102, 9, 9, 102], 2, .nan, 3), ([101, 5, 102, 6, 102], -1, .nan, 3)])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let b = TaskBatcher(task: 1, spec: TaskSpec(name: "nli", kind: .pairClassification, labels: 3), padID: 0)
        try b.check(reader)
        let batch = try b.batch(reader, rows: [1, 0])
        #expect(batch.task == 1 && batch.input.batch == 2 && batch.input.time == 6)
        #expect(batch.input.inputIds == [101, 5, 102, 6, 102, 0, 101, 7, 102, 9, 9, 102])
        #expect(batch.input.attentionMask == [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])
        #expect(batch.input.tokenTypeIds == [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1])  // padding has type 0, as HF pads
        #expect(batch.classes == [-100, 2])
        #expect(batch.tokens == 11)
    }

    @Test func regressionTakesNumbersAndRejectsNonFiniteOnes() throws {
        let (reader, path) = try shard(
            [.numericLabels], [([101, 3, 102], -1, 4.5, nil), ([101, 102], -1, .nan, nil)])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let b = TaskBatcher(task: 0, spec: TaskSpec(name: "rating", kind: .regression, labels: 1), padID: 0)
        try b.check(reader)
        #expect(try b.batch(reader, rows: [0]).values == [4.5])
        #expect(try b.batch(reader, rows: [0]).input.tokenTypeIds == nil)
        do {
            _ = try b.batch(reader, rows: [0, 1])
            Issue.record("accepted a NaN target")
        } catch let e as TrainingError {
            #expect(e.row == 1 && e.file == path)
        }
    }

    @Test func mismatchedLabelsAreRefusedWithTheShard() throws {
        let (reader, path) = try shard([.classLabels], [([101, 102], 5, .nan, nil)])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let classifier = TaskBatcher(
            task: 0, spec: TaskSpec(name: "spam", kind: .sequenceClassification, labels: 2), padID: 0)
        #expect(throws: TrainingError.self) { try classifier.batch(reader, rows: [0]) }
        for kind in [TaskHead.Kind.regression, .tokenClassification] {
            let b = TaskBatcher(task: 0, spec: TaskSpec(name: "x", kind: kind, labels: 2), padID: 0)
            #expect(throws: TrainingError.self) { try b.check(reader) }
        }
    }
}
