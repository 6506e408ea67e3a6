import Foundation
import Testing

@testable import Tokenizers

/// Golden tests: our encodings must equal HF `tokenizers`' on ~1850 varied lines.
@Suite struct TokenizerTests {
    @Test func miniLMMatchesHF() throws {
        var tok = try Fixtures.tokenizer("minilm-tokenizer.json")
        tok.padding = nil  // the goldens are unpadded; truncation stays as in the file
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "minilm-golden.jsonl")
        #expect(checked > 1500)
        #expect(mismatches == 0)
    }

    @Test func hfTrainedByteLevelBPEMatchesHF() throws {
        let tok = try Fixtures.tokenizer("hf-bpe-tokenizer.json")
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "hf-bpe-golden.jsonl")
        #expect(checked > 750)
        #expect(mismatches == 0)
    }

    /// Llama-3-style: regex Split (ICU) + ByteLevel without regex, `ignore_merges`, TemplateProcessing.
    @Test func hfBPEVariantMatchesHF() throws {
        guard case .object(var root)? = try JSONNode.parse(Fixtures.data("hf-bpe-tokenizer.json")).value,
            case .object(let patch)? = try JSONNode.parse(Fixtures.data("hf-bpe-variant-patch.json"))["patch"].value
        else { throw TokenizerError(.malformed, path: "", "fixture is not an object") }
        for (key, value) in patch {
            if key == "model.ignore_merges", let m = root.firstIndex(where: { $0.0 == "model" }),
                case .object(var model) = root[m].1
            {
                model.removeAll { $0.0 == "ignore_merges" }
                model.append(("ignore_merges", value))
                root[m].1 = .object(model)
            } else if let i = root.firstIndex(where: { $0.0 == key }) {
                root[i].1 = value
            }
        }
        let tok = try Tokenizer(json: Data(JSONWriter.write(.object(root), pretty: false).utf8))
        #expect((tok.model as? BPEModel)?.ignoreMerges == true)
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "hf-bpe-variant-golden.jsonl")
        #expect(checked > 380)
        #expect(mismatches == 0)
    }

    /// Llama-2 style: Prepend/Replace normalizer, byte_fallback, fuse_unk, Replace/ByteFallback/Fuse/Strip decoders.
    @Test func hfTrainedByteFallbackBPEMatchesHF() throws {
        let tok = try Fixtures.tokenizer("hf-bytefallback-tokenizer.json")
        #expect((tok.model as? BPEModel)?.byteFallback == true)
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "hf-bytefallback-golden.jsonl")
        #expect(checked > 300)
        #expect(mismatches == 0)
    }

    /// Classic BPE with `end_of_word_suffix` (CharBPE) or `continuing_subword_prefix`, unk tokens.
    @Test(arguments: ["hf-suffix-bpe", "hf-prefix-bpe"])
    func hfTrainedClassicBPEMatchesHF(_ name: String) throws {
        let tok = try Fixtures.tokenizer("\(name)-tokenizer.json")
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "\(name)-golden.jsonl")
        #expect(checked > 180)
        #expect(mismatches == 0)
    }

    /// Unigram (Viterbi, fused unknowns) with NFKC and Metaspace.
    @Test func hfTrainedUnigramMatchesHF() throws {
        let tok = try Fixtures.tokenizer("hf-unigram-tokenizer.json")
        #expect(tok.model is UnigramModel)
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "hf-unigram-golden.jsonl")
        #expect(checked > 300)
        #expect(mismatches == 0)
    }

    @Test func hfTrainedWordLevelMatchesHF() throws {
        let tok = try Fixtures.tokenizer("hf-wordlevel-tokenizer.json")
        let (checked, mismatches) = try Fixtures.compare(tok, golden: "hf-wordlevel-golden.jsonl")
        #expect(checked > 300)
        #expect(mismatches == 0)
    }

    @Test func miniLMPaddingAndMasksMatchHF() throws {
        let tok = try Fixtures.tokenizer("minilm-tokenizer.json")
        #expect(tok.padding?.strategy == .fixed(128))
        for n in try Fixtures.jsonLines("minilm-padded-golden.jsonl") {
            let text = try n["text"].string()
            let pair = n.has("pair") ? try n["pair"].string() : nil
            let e = try tok.encode(text, pair: pair)
            let ints = { (k: String) in try n[k].array().map { try $0.int() } }
            #expect(e.ids == (try ints("ids")), "\(text.debugDescription)")
            #expect(e.typeIds == (try ints("type_ids")))
            #expect(e.attentionMask == (try ints("attention_mask")))
            #expect(e.specialTokensMask == (try ints("special_tokens_mask")))
        }
    }

    @Test func overflowingWindowsMatchHF() throws {
        var tok = try Fixtures.tokenizer("minilm-tokenizer.json")
        tok.padding = nil
        var windows = 0
        for n in try Fixtures.jsonLines("minilm-overflow-golden.jsonl") {
            let text = Fixtures.inputs[try n["i"].int()].text
            tok.truncation = TruncationParams(
                maxLength: try n["max_length"].int(), stride: try n["stride"].int(),
                direction: try n["direction"].string() == "left" ? .left : .right)
            let e = try tok.encode(text)
            #expect(e.ids == Fixtures.numbers(try n["ids"].string()), "\(text.debugDescription)")
            let expected = try n["overflowing"].array().map { Fixtures.numbers(try $0.string()) }
            #expect(e.overflowing.map(\.ids) == expected, "\(text.debugDescription)")
            windows += expected.count
        }
        #expect(windows > 50)
        tok.truncation = TruncationParams(maxLength: 16, stride: 14)  // 16 - 2 special tokens leaves 14: HF refuses too
        #expect(throws: TokenizerError.self) { try tok.encode("a long enough text to be cut into several windows") }
    }

    @Test func batchEncodingEqualsSingleEncodingsAndPadsToLongest() throws {
        var tok = try Fixtures.tokenizer("minilm-tokenizer.json")
        tok.padding = PaddingParams(strategy: .batchLongest, padId: 0, padToken: "[PAD]")
        let texts = Fixtures.inputs.prefix(200).map(\.text)
        let batch = try tok.encodeBatch(texts, threads: 2)
        var single = tok
        single.padding = nil
        let longest = try texts.map { try single.encode($0).count }.max()!
        for (t, e) in zip(texts, batch) {
            let s = try single.encode(t)
            #expect(e.count == longest)
            #expect(Array(e.ids.prefix(s.count)) == s.ids)
            #expect(e.attentionMask.reduce(0, +) == s.count)
        }
    }

    @Test func truncationOverrideAndLongestFirstOnPairs() throws {
        var tok = try Fixtures.tokenizer("minilm-tokenizer.json")
        tok.padding = nil
        tok.truncation = TruncationParams(maxLength: 10)
        let a = "one two three four five six seven eight nine ten"
        let b = "alpha beta"
        let e = try tok.encode(a, pair: b)
        // [CLS] 5 of A [SEP] 2 of B [SEP]: B is short so A takes the rest (10 - 3 specials - 2).
        #expect(e.count == 10)
        #expect(e.tokens == ["[CLS]", "one", "two", "three", "four", "five", "[SEP]", "alpha", "beta", "[SEP]"])
        tok.truncation = TruncationParams(maxLength: 6, direction: .left)
        #expect(try tok.encode(a).tokens == ["[CLS]", "seven", "eight", "nine", "ten", "[SEP]"])
        tok.truncation = TruncationParams(maxLength: 5, strategy: .onlySecond)
        #expect(throws: TokenizerError.self) { try tok.encode(a, pair: b) }
    }

    @Test func addedTokensInTextAreKeptWhole() throws {
        var tok = try Fixtures.tokenizer("minilm-tokenizer.json")
        tok.padding = nil
        let e = try tok.encode("hi [MASK] there[SEP]")
        #expect(e.tokens == ["[CLS]", "hi", "[MASK]", "there", "[SEP]", "[SEP]"])
        #expect(e.offsets[2] == .init(3, 9))
        #expect(tok.decode(e.ids, skipSpecialTokens: false) == "[CLS] hi [MASK] there [SEP] [SEP]")
    }
}

/// Random input never crashes and always yields offsets inside the text.
@Suite struct TokenizerRobustnessTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomText(_ rng: inout SplitMix) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0x00...0x7F, 0x80...0x24F, 0x300...0x36F, 0x4E00...0x4EFF, 0x1F300...0x1F6FF,
            0x2000...0x206F, 0xFFF0...0xFFFD, 0x10000...0x10FFFF, 0x0E00...0x0E7F,
        ]
        var s = ""
        for _ in 0..<Int.random(in: 0...300, using: &rng) {
            let r = ranges.randomElement(using: &rng)!
            if let u = Unicode.Scalar(UInt32.random(in: r, using: &rng)) { s.unicodeScalars.append(u) }
        }
        return s
    }

    @Test(arguments: ["minilm-tokenizer.json", "hf-bpe-tokenizer.json"])
    func randomInputIsHandled(_ fixture: String) throws {
        var tok = try Fixtures.tokenizer(fixture)
        tok.truncation = nil
        tok.padding = nil
        var rng = SplitMix(state: 42)
        for _ in 0..<300 {
            let text = Self.randomText(&rng)
            let n = text.unicodeScalars.count
            let e = try tok.encode(text, pair: Bool.random(using: &rng) ? Self.randomText(&rng) : nil)
            for o in e.offsets { #expect(o.start >= 0 && o.start <= o.end) }
            for (o, s) in zip(e.offsets, e.sequenceIds) where s == 0 { #expect(o.end <= n) }
            _ = tok.decode(e.ids)
        }
        let long = String(repeating: "a", count: 200_000) + " " + String(repeating: "🙂", count: 20_000)
        let e = try tok.encode(long)
        #expect(e.count > 0)
    }
}
