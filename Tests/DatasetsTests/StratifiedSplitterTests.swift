import Foundation
import Testing

@testable import Datasets

@Suite struct StratifiedSplitterTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let seed: String
            let fractions: [Double]
            let train: [Int], validation: [Int], test: [Int]
        }
        let labels: [String]
        let cases: [Case]
        let splitmix64_seed_20261128_first5: [String]
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(
            Golden.self, from: Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/split-golden.json")))
    }

    /// The splits of scripts/assets/common.py (which wrote assets/data/*) are reproduced exactly.
    @Test func matchesFetchAssetsSplitter() throws {
        let golden = try Self.golden()
        #expect(golden.cases.count == 3)
        for c in golden.cases {
            let f = try SplitFractions(train: c.fractions[0], validation: c.fractions[1], test: c.fractions[2])
            let split = StratifiedSplitter.split(labels: golden.labels, fractions: f, seed: UInt64(c.seed)!)
            #expect(split.train == c.train, "seed \(c.seed)")
            #expect(split.validation == c.validation, "seed \(c.seed)")
            #expect(split.test == c.test, "seed \(c.seed)")
        }
    }

    @Test func partitionsAndKeepsProportions() throws {
        let labels = (0..<1000).map { $0 % 10 < 7 ? "a" : ($0 % 10 < 9 ? "b" : "c") }  // 700 / 200 / 100
        let split = StratifiedSplitter.split(labels: labels, fractions: .standard, seed: 1)
        let all = split.train + split.validation + split.test
        #expect(all.count == 1000 && Set(all).count == 1000)
        func count(_ idx: [Int], _ l: String) -> Int { idx.filter { labels[$0] == l }.count }
        let testCounts = ["a", "b", "c"].map { count(split.test, $0) }
        let validationCounts = ["a", "b", "c"].map { count(split.validation, $0) }
        #expect(testCounts == [70, 20, 10])
        #expect(validationCounts == [70, 20, 10])
        #expect(split.train == split.train.sorted())
        let again = StratifiedSplitter.split(labels: labels, fractions: .standard, seed: 1)
        #expect(again == split)
        let other = StratifiedSplitter.split(labels: labels, fractions: .standard, seed: 2)
        #expect(other.test != split.test)
    }

    @Test func tinyClassesAndRecords() throws {
        let records = ["x", "x", "y"].enumerated().map {
            Record(
                text: "t\($0.offset)", label: .string($0.element),
                location: SourceLocation(file: "f", line: $0.offset + 1))
        }
        let split = StratifiedSplitter.split(records: records, fractions: .standard, seed: 3)
        #expect(split.train == [0, 1, 2] && split.validation.isEmpty && split.test.isEmpty)
        #expect(
            StratifiedSplitter.split(labels: [String](), fractions: .standard, seed: 0)
                == Split(train: [], validation: [], test: []))
    }

    @Test(arguments: [(0.8, 0.1, 0.2), (1.1, -0.1, 0.0), (0.5, 0.5, 0.5)])
    func rejectsBadFractions(train: Double, validation: Double, test: Double) {
        #expect(throws: DatasetError.self) { try SplitFractions(train: train, validation: validation, test: test) }
    }
}
