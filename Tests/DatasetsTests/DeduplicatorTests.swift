import Testing

@testable import Datasets

@Suite struct DeduplicatorTests {
    static func records(_ rows: [(String, String)]) -> [Record] {
        rows.enumerated().map {
            Record(
                text: $0.element.0, label: .string($0.element.1),
                location: SourceLocation(file: "f", line: $0.offset + 1))
        }
    }

    @Test(arguments: [
        (Deduplicator.Normalization.exact, [0, 1, 2, 3], 1, 0),
        (.whitespaceAndCase, [0, 2, 3], 2, 0),
        (.wordsOnly, [3], 3, 1),
    ])
    func normalizations(normalization: Deduplicator.Normalization, kept: [Int], duplicates: Int, conflicting: Int) {
        let rows = Self.records([
            ("What is TREC ?", "DESC"), ("what  is trec ?", "DESC"), ("What is TREC?", "ENTY"),
            ("Another one", "HUM"), ("What is TREC ?", "DESC"),
        ])
        let result = Deduplicator.deduplicate(rows, normalization: normalization)
        #expect(result.kept == kept)
        #expect(result.duplicates == duplicates)
        #expect(result.conflicting == conflicting)
    }

    @Test func pairsAreComparedWithTheirSecondText() {
        var rows = Self.records([("p", "1"), ("p", "1")])
        rows[1].pair = "h"
        #expect(Deduplicator.deduplicate(rows).kept == [0, 1])
    }

    @Test func fixtureTasksHaveNoDuplicates() throws {
        for task in ["spam", "trec", "sentiment", "licenses"] {
            let (records, _) = try DataSource(
                path: "\(fixtures)/tasks/\(task).jsonl", format: .jsonl,
                mapping: FieldMapping(text: "text")
            ).readAll(policy: .fail)
            let result = Deduplicator.deduplicate(records)
            #expect(result.duplicates == 0 && result.kept.count == records.count, "\(task)")
        }
    }
}
