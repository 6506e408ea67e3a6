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

@Suite struct DeduplicatorFilterTests {
    @Test func streamsAndAgreesWithTheBatchDeduplicator() throws {
        let source = DataSource(path: "\(fixtures)/raw/question_labels.txt", format: .text(.byLine))
        var (records, _) = try source.readAll(policy: .fail)
        records += records.prefix(10)  // ten repeats
        var filter = Deduplicator.Filter()
        let fresh = records.indices.filter { filter.insert(records[$0].text) }
        #expect(fresh == Deduplicator.deduplicate(records).kept)
        #expect(filter.count == 40)
    }

    @Test func normalizesAndConsidersPairs() {
        var filter = Deduplicator.Filter(normalization: .wordsOnly)
        let inserted = [
            filter.insert("Hello, World!"), filter.insert("hello world"), filter.insert("hello world", pair: "again"),
            filter.insert("HELLO  world", pair: "again."), filter.insert("hello world", pair: "other"),
        ]
        #expect(inserted == [true, false, true, false, true])
    }

    @Test func fnv1aReferenceValues() {
        // Published FNV-1a 64 test vectors.
        #expect(Deduplicator.Filter.fnv1a("".utf8) == 0xCBF2_9CE4_8422_2325)
        #expect(Deduplicator.Filter.fnv1a("a".utf8) == 0xAF63_DC4C_8601_EC8C)
        #expect(Deduplicator.Filter.fnv1a("foobar".utf8) == 0x85944171F73967E8)
    }
}
