import Foundation
import Testing

@testable import Tokenizers

@Suite struct BPETrainerTests {
    static func trainFixtureCorpus(threads: Int) throws -> BPETrainer.Result {
        let corpus = try [UInt8](Fixtures.data("trainer-corpus.txt"))
        let trainer = BPETrainer(
            vocabSize: 2000, minFrequency: 2, specialTokens: ["<|endoftext|>", "<pad>"], threads: threads)
        return try trainer.train(corpus: corpus)
    }

    /// Our trainer reproduces, byte for byte, the tokenizer.json the generator trained with it
    /// (which HF loaded to write ours-bpe-golden.jsonl), with one thread or two.
    @Test(arguments: [1, 2])
    func retrainingReproducesTheCommittedTokenizer(threads: Int) throws {
        let result = try Self.trainFixtureCorpus(threads: threads)
        let committed = String(decoding: try Fixtures.data("ours-bpe-tokenizer.json"), as: UTF8.self)
        #expect(result.tokenizerJSON() == committed)
    }

    /// Same settings in HF's BpeTrainer give the same merges, in the same order.
    @Test func mergesEqualHFTrainerWithSameSettings() throws {
        let result = try Self.trainFixtureCorpus(threads: 2)
        let hf = try JSONNode.parse(Fixtures.data("hf-same-settings-merges.json"))["merges"].array().map {
            try $0.string()
        }
        let ours = result.merges.map { "\($0.0) \($0.1)" }
        #expect(ours.count == hf.count)
        #expect(ours == hf)
    }

    /// With a prefix space, min frequency 5 and three special tokens, too.
    @Test func prefixSpaceSettingsMatchHF() throws {
        let corpus = try [UInt8](Fixtures.data("trainer-corpus.txt"))
        let trainer = BPETrainer(
            vocabSize: 1200, minFrequency: 5, specialTokens: ["<s>", "</s>", "<unk>"], addPrefixSpace: true, threads: 2)
        let result = try trainer.train(corpus: corpus)
        let hf = try JSONNode.parse(Fixtures.data("hf-prefix-space-merges.json"))
        #expect(result.vocab.count == (try hf["vocab_size"].int()))
        #expect(result.merges.map { "\($0.0) \($0.1)" } == (try hf["merges"].array().map { try $0.string() }))
    }

    /// HF loaded our tokenizer.json and encoded the golden lines; we must encode them identically.
    @Test func hfEncodesOurTokenizerLikeWeDo() throws {
        let tok = try Self.trainFixtureCorpus(threads: 2).tokenizer()
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "ours-bpe-golden.jsonl")
        #expect(checked > 350)
        #expect(mismatches == 0)
    }

    @Test func smallCorpusMergesMostFrequentPairFirst() throws {
        let trainer = BPETrainer(vocabSize: 256 + 1 + 3, minFrequency: 1, specialTokens: ["<s>"], threads: 1)
        let r = try trainer.train(lines: ["aaab aab ab", "ab ab"])
        // Words: "aaab", "Ġaab", "Ġab"×2, "ab", "Ċ"×2. (a,b) occurs 5 times; then (a,ab) and
        // (Ġ,ab) both occur twice and the lower ids win ("a" < "Ġ"), as in HF.
        #expect(r.vocab[0] == "<s>")
        #expect(r.vocab.count == 260)
        #expect(r.merges.count == 3)
        #expect(r.merges[0] == ("a", "b"))
        #expect(r.merges[1] == ("a", "ab"))
        #expect(r.merges[2] == ("Ġ", "ab"))
    }

    @Test func specialTokensAreNotSplitAndRoundTrip() throws {
        let r = try BPETrainer(vocabSize: 300, minFrequency: 1, specialTokens: ["<|endoftext|>"], threads: 2)
            .train(lines: ["hello world", "hello there"])
        let tok = try r.tokenizer()
        let text = "hello<|endoftext|> world 🙂 naïve"
        let e = try tok.encode(text)
        #expect(e.ids.contains(0))
        #expect(tok.decode(e.ids, skipSpecialTokens: false) == text)
        #expect(tok.decode(e.ids) == "hello world 🙂 naïve")
    }

    @Test func tooSmallVocabIsAnError() {
        #expect(throws: TokenizerError.self) { try BPETrainer(vocabSize: 200).train(lines: ["x"]) }
    }
}
