import Datasets
import Foundation
import Testing
import Tokenizers

/// The version-2 tables the tokenize stage writes: per token, the special-tokens mask and the word ids, equal to
/// the tokenizer's (whose word ids match HF's, WordIdsTests) for rows (truncated ones included) and consistent
/// per document in packed blocks.
@Suite struct TokenShardTablesTests {
    @Test func rowsAndBlocksCarryTheMaskAndWordIds() async throws {
        let texts = [
            "Unbelievably, the tokenizer's pieces share words.", "short",
            String(repeating: "a rather long sentence with several words, ", count: 6),
        ]
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        let rows = texts.enumerated().map { #"{"i": "\#($0.offset)", "text": "\#($0.element)"}"# }
        try ws.write("data/rows.jsonl", rows.joined(separator: "\n") + "\n")
        try ws.copy(Fixture.emma, to: "data/emma.txt")
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              rows: { path: data/rows.jsonl, id: i }
              emma: { path: data/emma.txt, format: text }
            stages:
              tokenize:
                plugin: tokenize
                inputs: [rows, emma]
                with: { max_length: 16, splits: { from: fractions, train: 1, validation: 0, test: 0 } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let tokenizer = try await Fixture.loadMinilm(maxLength: 16)
        let shard = try outcome.shard("rows", "train")
        let ids = try JSONDecoder().decode(
            [String].self, from: Data(contentsOf: URL(fileURLWithPath: outcome.files + "/tokens/rows/train.ids.json")))
        #expect(shard.contents.isSuperset(of: [.specialTokensMask, .wordIds]))
        for (k, id) in ids.enumerated() {
            let e = try tokenizer.encode(texts[Int(id)!])
            #expect(shard.tokens(at: k) == e.ids.map { UInt32($0) })
            #expect(shard.specialTokensMask(at: k) == e.specialTokensMask.map { UInt8($0) }, "row \(id)")
            #expect(shard.wordIds(at: k) == e.wordIds.map { $0.map { Int32($0) } ?? -1 }, "row \(id)")
        }
        let blocks = try outcome.shard("emma", "train")
        #expect(blocks.count > 3)
        for k in 0..<blocks.count {
            let tokens = blocks.tokens(at: k), mask = try #require(blocks.specialTokensMask(at: k))
            let words = try #require(blocks.wordIds(at: k))
            for t in tokens.indices {
                #expect((mask[t] == 1) == (tokens[t] == 101 || tokens[t] == 102), "block \(k) token \(t)")
                #expect((words[t] == -1) == (mask[t] == 1))
                // Within a document word ids rise by 0 or 1 per token (a block may start mid-document).
                if t > 0, words[t] >= 0, words[t - 1] >= 0 { #expect(words[t] - words[t - 1] <= 1 && words[t] >= words[t - 1]) }
            }
        }
    }
}
