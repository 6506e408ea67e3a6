import Testing

@testable import Tokenizers

@Suite struct WordPieceModelTests {
    static let model = try! WordPieceModel(
        vocab: [("[UNK]", 0), ("un", 1), ("##aff", 2), ("##able", 3), ("aff", 4), ("##a", 5), ("##ff", 6), ("x", 7)],
        maxInputCharsPerWord: 8)

    @Test(arguments: [
        ("unaffable", [0] as [Int32]),  // longer than 8 characters → [UNK]
        ("unaff", [1, 2]),
        ("affa", [4, 5]),
        ("unx", [0]),  // "##x" missing → the whole word is [UNK]
        ("x", [7]),
    ])
    func greedyLongestMatchFirst(_ word: String, _ expected: [Int32]) {
        let s = word.scalarValues
        var out: [ModelToken] = []
        s.withUnsafeBufferPointer { Self.model.tokenize($0, 0..<$0.count, into: &out) }
        #expect(out.map(\.id) == expected)
        #expect(out.first?.start == 0 && out.last?.end == Int32(s.count))
    }
}
