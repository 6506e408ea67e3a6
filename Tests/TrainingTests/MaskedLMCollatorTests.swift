import Tensor
import Testing

@testable import Training

/// Masking statistics over many rows, special tokens never selected, whole words selected together, and the
/// same masks for the same generator and row key.
@Suite struct MaskedLMCollatorTests {
    // Vocabulary of 1000: 0 [PAD], 1 [CLS], 2 [SEP], 3 [MASK]; ids ≥ 500 are "##" continuations.
    let special: [Bool] = (0..<1000).map { $0 < 4 }
    let continues: [Bool] = (0..<1000).map { $0 >= 500 }

    func row(_ k: Int) -> [Int32] {
        [1] + (0..<126).map { Int32(4 + ($0 * 37 + k * 11) % 496) } + [2]
    }

    @Test func selectsFifteenPercentSplitEightyTenTen() {
        let c = MaskedLMCollator(maskID: 3, vocabularySize: 1000, isSpecial: special)
        let rng = CounterRNG(seed: 5, stream: 1)
        var (tokens, selected, masked, kept, random) = (0, 0, 0, 0, 0)
        for k in 0..<400 {
            let tokensOfRow = row(k)
            let (ids, targets) = c.mask(tokensOfRow, rng: rng, base: k * 4 * 128)
            #expect(targets.first == -100 && targets.last == -100, "[CLS]/[SEP] selected in row \(k)")
            #expect(ids.first == 1 && ids.last == 2)
            for i in 1..<127 {
                tokens += 1
                guard targets[i] != -100 else {
                    #expect(ids[i] == tokensOfRow[i])
                    continue
                }
                #expect(targets[i] == tokensOfRow[i])
                selected += 1
                if ids[i] == 3 { masked += 1 } else if ids[i] == tokensOfRow[i] { kept += 1 } else { random += 1 }
            }
        }
        // 50,400 tokens: binomial standard deviations are ~0.16 points for the 15 %, ~0.5 for the 80 %.
        let rate = Double(selected) / Double(tokens)
        #expect(abs(rate - 0.15) < 0.008, "selected \(rate)")
        #expect(abs(Double(masked) / Double(selected) - 0.8) < 0.02)
        #expect(abs(Double(kept) / Double(selected) - 0.1) < 0.015)
        #expect(abs(Double(random) / Double(selected) - 0.1) < 0.015)
    }

    @Test func masksAreAFunctionOfGeneratorAndKey() {
        let c = MaskedLMCollator(maskID: 3, vocabularySize: 1000, isSpecial: special)
        let rng = CounterRNG(seed: 5, stream: 1)
        #expect(c.mask(row(0), rng: rng, base: 0) == c.mask(row(0), rng: rng, base: 0))
        #expect(c.mask(row(0), rng: rng, base: 0).targets != c.mask(row(0), rng: rng, base: 512).targets)
    }

    @Test func wholeWordsAreSelectedTogether() {
        let c = MaskedLMCollator(maskID: 3, vocabularySize: 1000, isSpecial: special, continuesWord: continues)
        let rng = CounterRNG(seed: 9, stream: 2)
        // Words: 10 ##600 ##601 | 11 | 12 ##602 | ... repeated; [SEP] ends each row.
        let pattern: [Int32] = [10, 600, 601, 11, 12, 602]
        var selectedWords = 0
        var words = 0
        for k in 0..<300 {
            let tokens: [Int32] = [1] + (0..<20).flatMap { _ in pattern } + [2]
            let (_, targets) = c.mask(tokens, rng: rng, base: k * 4 * 128)
            var i = 1
            while i < tokens.count - 1 {
                var j = i + 1
                while j < tokens.count - 1 && continues[Int(tokens[j])] { j += 1 }
                let picked = (i..<j).map { targets[$0] != -100 }
                #expect(Set(picked).count == 1, "word at \(i) of row \(k) partly selected: \(picked)")
                words += 1
                if picked[0] { selectedWords += 1 }
                i = j
            }
        }
        #expect(abs(Double(selectedWords) / Double(words) - 0.15) < 0.015)
    }
}

/// With a shard's tables (version 2): its special-tokens mask and word ids decide, not the id rules.
@Suite struct MaskedLMCollatorShardTablesTests {
    @Test func shardMaskAndWordIdsDecide() {
        let c = MaskedLMCollator(maskID: 3, vocabularySize: 1000, isSpecial: (0..<1000).map { $0 < 4 }, continuesWord: [])
        let rng = CounterRNG(seed: 2, stream: 7)
        // Ten words of three tokens each, plain ids (no ## rule applies); token 0 and the last are special by mask.
        let tokens: [Int32] = (0..<32).map { Int32(10 + $0) }
        var special = [UInt8](repeating: 0, count: 32)
        (special[0], special[31]) = (1, 1)
        var words = [Int32](repeating: -1, count: 32)
        for t in 1..<31 { words[t] = Int32((t - 1) / 3) }
        var selected = 0
        for k in 0..<400 {
            let (_, targets) = c.mask(tokens, specialMask: special, wordIds: words, rng: rng, base: k * 128)
            #expect(targets[0] == -100 && targets[31] == -100)
            for w in 0..<10 {
                let picked = (1 + 3 * w..<4 + 3 * w).map { targets[$0] != -100 }
                #expect(Set(picked).count == 1)
                if picked[0] { selected += 1 }
            }
        }
        #expect(abs(Double(selected) / 4000 - 0.15) < 0.02)
    }
}
