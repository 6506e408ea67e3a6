import Foundation
import Testing

@testable import Tokenizers

/// `Encoding.wordIds` against HF `word_ids` on 400 golden lines (singles and pairs), for WordPiece (MiniLM) and a
/// byte-level BPE (word-ids-golden.jsonl from scripts/golden/tokenizers/word_ids.py).
@Suite struct WordIdsTests {
    @Test(arguments: ["minilm-tokenizer.json", "hf-bpe-tokenizer.json"])
    func wordIdsMatchHF(_ name: String) throws {
        var tokenizer = try Fixtures.tokenizer(name)
        tokenizer.truncation = nil
        tokenizer.padding = nil
        let golden = try Fixtures.jsonLines("word-ids-golden.jsonl").filter { (try? $0["tokenizer"].string()) == name }
        #expect(golden.count == 400)
        var mismatches = 0
        for g in golden {
            let i = try g["i"].int()
            let input = Fixtures.inputs[i]
            let ours = try tokenizer.encode(input.text, pair: input.pair).wordIds
                .map { $0.map(String.init) ?? "-" }.joined(separator: " ")
            let theirs = try g["word_ids"].string()
            if ours != theirs {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(name) line \(i): ours \(ours.prefix(120)) vs HF \(theirs.prefix(120))") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func piecesOfAWordShareItsId() throws {
        let tokenizer = try Fixtures.tokenizer("minilm-tokenizer.json")
        let e = try tokenizer.encode("unbelievably tokenized, ok")
        // [CLS] un ##bel ##ie ##va ##bly token ##ized , ok [SEP] — whatever the pieces, ## pieces continue a word.
        let tokens = e.tokens, words = e.wordIds
        #expect(words.first! == nil && words.last! == nil)
        for k in 1..<(tokens.count - 1) where tokens[k].hasPrefix("##") { #expect(words[k] == words[k - 1]) }
        #expect(Set(words.compactMap { $0 }) == [0, 1, 2, 3])
    }
}
