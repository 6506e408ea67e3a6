import Testing

@testable import Tokenizers

@Suite struct BPEModelTests {
    static let vocab: [(String, Int)] = [
        ("a", 0), ("b", 1), ("c", 2), ("d", 3), ("ab", 4), ("abc", 5), ("cd", 6), ("abd", 7), ("<unk>", 8),
        ("<0xC3>", 9), ("<0xA9>", 10),
    ]
    static let merges = [("a", "b"), ("ab", "c"), ("c", "d")]

    func ids(_ model: BPEModel, _ text: String) -> [Int32] {
        let s = text.scalarValues
        var out: [ModelToken] = []
        s.withUnsafeBufferPointer { model.tokenize($0, 0..<$0.count, into: &out) }
        return out.map(\.id)
    }

    @Test(arguments: [
        ("abc", [5] as [Int32]),
        ("abcd", [5, 3]),  // (ab,c) ranks before (c,d)
        ("cdab", [6, 4]),
        ("abd", [4, 3]),  // no merge makes "abd" without ignore_merges
        ("aaa", [0, 0, 0]),
    ])
    func mergesByRank(_ text: String, _ expected: [Int32]) throws {
        let model = try BPEModel(vocab: Self.vocab, merges: Self.merges)
        #expect(ids(model, text) == expected)
    }

    @Test func ignoreMergesTakesWholeWordsFromTheVocab() throws {
        let model = try BPEModel(vocab: Self.vocab, merges: Self.merges, ignoreMerges: true)
        #expect(ids(model, "abd") == [7])
        #expect(ids(model, "abcd") == [5, 3])
    }

    @Test func byteFallbackAndUnknowns() throws {
        let fallback = try BPEModel(vocab: Self.vocab, merges: Self.merges, unkToken: "<unk>", byteFallback: true)
        #expect(ids(fallback, "aé") == [0, 9, 10])
        #expect(ids(fallback, "aü") == [0, 8])  // 0xC3 0xBC: not both present → unk
        let fused = try BPEModel(vocab: Self.vocab, merges: Self.merges, unkToken: "<unk>", fuseUnk: true)
        #expect(ids(fused, "axyb") == [0, 8, 1])
        let unfused = try BPEModel(vocab: Self.vocab, merges: Self.merges, unkToken: "<unk>")
        #expect(ids(unfused, "axyb") == [0, 8, 8, 1])
    }

    @Test func mergeWithUnknownTokenIsALoadError() {
        #expect(throws: TokenizerError.self) { try BPEModel(vocab: Self.vocab, merges: [("a", "zz")]) }
    }
}
