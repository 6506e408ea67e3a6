import Datasets
import Foundation
import Testing

@testable import Training

@Suite struct InputValidationTests {
    func shard(_ rows: [[UInt32]], labels: [Int32]? = nil) throws -> (TokenShardReader, String) {
        let dir = try temporaryDirectory("validate")
        let path = dir + "/train.bin"
        let w = try TokenShardWriter(path: path, tokenWidth: 2, contents: labels == nil ? [] : .classLabels)
        for (i, r) in rows.enumerated() { try w.append(r, classLabel: labels?[i] ?? -1) }
        try w.finish()
        return (try TokenShardReader(path: path), dir)
    }

    @Test func aBadTokenIdIsRejectedWithItsLocation() throws {
        let (reader, dir) = try shard([[1, 2, 3], [4, 30522, 5]])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let error = #expect(throws: TrainingError.self) {
            try InputValidation(vocabularySize: 30522, maxPositions: 512).check(reader)
        }
        #expect(error?.kind == .tokenOutOfVocabulary && error?.row == 1)
        #expect(error?.description.contains("train.bin, row 1: error: token 1 has id 30522; the model's vocabulary has 30522 ids") == true)
    }

    @Test func anOverlongSequenceIsRejectedWithItsLocation() throws {
        let (reader, dir) = try shard([[1, 2], [3, 4, 5, 6, 7], [1]])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let error = #expect(throws: TrainingError.self) {
            try InputValidation(vocabularySize: 10, maxPositions: 4).check(reader)
        }
        #expect(error?.kind == .sequenceTooLong && error?.row == 1)
        #expect(error?.message == "sequence of 5 tokens; the model has 4 positions")
    }

    @Test func aLabelBeyondTheHeadIsRejected() throws {
        let (reader, dir) = try shard([[1], [2], [3]], labels: [0, -1, 3])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let error = #expect(throws: TrainingError.self) {
            try InputValidation(vocabularySize: 10, maxPositions: 4, classes: 3).check(reader)
        }
        #expect(error?.kind == .labelOutOfRange && error?.row == 2)
    }

    @Test func aForeignTokenizerIsRejected() {
        let error = #expect(throws: TrainingError.self) {
            try InputValidation.checkTokenizer(
                shardDigest: "aaaa1111", modelDigest: "bbbb2222", index: "/art/index.json", model: "/m/tokenizer.json")
        }
        #expect(error?.kind == .tokenizerMismatch && error?.file == "/art/index.json")
        #expect(throws: Never.self) {
            try InputValidation.checkTokenizer(shardDigest: "ab", modelDigest: "ab", index: "i", model: "m")
        }
    }
}
