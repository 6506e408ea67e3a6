import Foundation
import Testing

@testable import Datasets

@Suite struct DataSourceTests {
    @Test func globsAcrossFilesInSortedOrderWithRelativeLocations() throws {
        let dir = try TemporaryDirectory()
        try dir.write("data/b.jsonl", #"{"text": "b1", "label": 1}"# + "\n")
        try dir.write(
            "data/a.jsonl", #"{"text": "a1", "label": 0}"# + "\nbroken\n" + #"{"text": "a3", "label": 0}"# + "\n")
        let source = DataSource(
            path: "data/*.jsonl", format: .jsonl, mapping: FieldMapping(text: "text", label: "label"),
            directory: dir.path)
        #expect(try source.files() == ["data/a.jsonl", "data/b.jsonl"])
        let (records, summary) = try source.readAll(policy: .skip)
        #expect(records.map(\.text) == ["a1", "a3", "b1"])
        #expect(records.map(\.location.description) == ["data/a.jsonl:1", "data/a.jsonl:3", "data/b.jsonl:1"])
        #expect(summary.files == 2 && summary.records == 3 && summary.skipped == 1)
        #expect(summary.firstErrors.first?.location == "data/a.jsonl:2:1")
        #expect(summary.description.contains("1 bad row(s) skipped"))
        let error = #expect(throws: DatasetError.self) { try source.readAll(policy: .fail) }
        #expect(error?.location == "data/a.jsonl:2:1")
    }

    @Test(arguments: [
        ("tasks/trec.jsonl", DataSource.Format.jsonl, FieldMapping(text: "text", label: "fine"), 40),
        ("tasks/licenses.jsonl", .jsonl, FieldMapping(text: "text", label: "label"), 24),
        ("raw/sms-spam.csv", .csv, FieldMapping(text: "text", label: "spam"), 59),
        ("raw/tweets_GroundTruth.txt", .tsv, FieldMapping(text: "text", label: "sentiment", labelType: .number), 39),
        ("raw/*.txt", .text(.byLine), FieldMapping(), 80),
        ("**/emma-*.txt", .text(.byParagraph), FieldMapping(), 3),
    ])
    func formats(path: String, format: DataSource.Format, mapping: FieldMapping, count: Int) throws {
        let source = DataSource(path: path, format: format, mapping: mapping, directory: fixtures)
        let (records, summary) = try source.readAll(policy: .fail)
        #expect(records.count == count && summary.skipped == 0)
        if mapping.label != nil { #expect(records.allSatisfy { $0.label != nil }) }
    }

    @Test func aSingleMissingFileIsLocated() throws {
        let source = DataSource(path: "missing.jsonl", format: .jsonl, directory: fixtures)
        let error = #expect(throws: DatasetError.self) { try source.readAll(policy: .skip) }
        #expect(error?.kind == .fileNotFound && error?.file == "missing.jsonl")
    }
}
