import Foundation
import Testing

@testable import Datasets

@Suite struct JSONLReaderTests {
    let mapping = FieldMapping(text: "text", label: "label")

    @Test func readsFixtureTasksWithTheirLabels() throws {
        let cases: [(String, FieldMapping, Int, Set<String>)] = [
            ("spam", FieldMapping(text: "text", label: "label"), 40, ["ham", "spam"]),
            ("trec", FieldMapping(text: "text", label: "coarse"), 40, ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]),
            ("sentiment", FieldMapping(text: "text", label: "label"), 40, ["negative", "neutral", "positive"]),
        ]
        for (task, mapping, count, labels) in cases {
            let path = "\(fixtures)/tasks/\(task).jsonl"
            let (records, summary) = try collect { try JSONLReader(mapping: mapping).read(path: path, policy: $0, $1) }
            #expect(records.count == count && summary.records == count && summary.skipped == 0, "\(task)")
            #expect(Set(records.compactMap { $0.label?.key }) == labels, "\(task)")
            #expect(records.map(\.location.line) == Array(1...count), "\(task)")
        }
    }

    @Test func idsAreStringsOrCanonicalNumbersAndBadOnesAreBadRows() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write(
            "ids.jsonl",
            """
            {"text": "a", "qid": "q-1"}
            {"text": "b", "qid": 7}
            {"text": "c", "qid": 2.5}
            {"text": "d", "qid": ""}
            {"text": "e"}
            {"text": "f", "qid": [1]}

            """)
        let reader = JSONLReader(mapping: FieldMapping(text: "text", id: "qid"))
        let (records, summary) = try collect { try reader.read(path: path, policy: $0, $1) }
        #expect(records.map(\.id) == ["q-1", "7", "2.5"])
        #expect(summary.skipped == 3)
        #expect(summary.firstErrors.map(\.line) == [4, 5, 6])
        #expect(summary.firstErrors[1].message == "missing id field 'qid'")
    }

    @Test func numericLabelsForRegression() throws {
        let path = "\(fixtures)/tasks/sentiment.jsonl"
        let reader = JSONLReader(mapping: FieldMapping(text: "text", label: "score", labelType: .number))
        let (records, _) = try collect { try reader.read(path: path, policy: .fail, $1) }
        #expect(records.count == 40)
        for r in records {
            guard case .number(let x) = r.label else {
                Issue.record("expected a number at \(r.location)")
                continue
            }
            #expect((-4...4).contains(x))
        }
    }

    /// Each bad line, alone after a good first line: the error's kind, line and (where known) column.
    @Test(arguments: [
        (#"{"text": "a", "label": "x""#, DatasetError.Kind.invalidJSON, Optional<Int>.none),
        (#"["text", "label"]"#, .notAnObject, 1),
        (#"{"label": "x"}"#, .missingField, nil),
        (#"{"text": "a"}"#, .missingField, nil),
        (#"{"text": "a", "label": null}"#, .missingField, nil),
        (#"{"text": 5, "label": "x"}"#, .wrongType, nil),
        (#"{"text": "", "label": "x"}"#, .emptyText, nil),
        (#"{"text": "a", "label": true}"#, .wrongType, nil),
        (#"{"text": "a", "label": ["x"]}"#, .wrongType, nil),
    ])
    func badRowsAreLocated(line: String, kind: DatasetError.Kind, column: Int?) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.jsonl", "{\"text\": \"ok\", \"label\": \"y\"}\n\(line)\n")
        let reader = JSONLReader(mapping: mapping)
        let error = #expect(throws: DatasetError.self) { try reader.read(path: path, policy: .fail) { _ in } }
        #expect(error?.kind == kind)
        #expect(error?.line == 2)
        #expect(error?.file == path)
        if let column { #expect(error?.column == column) }

        let (records, summary) = try collect { try reader.read(path: path, policy: $0, $1) }
        #expect(records.count == 1 && summary.skipped == 1 && summary.firstErrors.first?.kind == kind)
    }

    @Test func invalidJSONReportsAColumnWhenTheParserGivesOne() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.jsonl", #"{"text": "a", "label": x}"# + "\n")
        let error = #expect(throws: DatasetError.self) {
            try JSONLReader(mapping: mapping).read(path: path, policy: .fail) { _ in }
        }
        #expect(error?.kind == .invalidJSON)
        #expect(error?.description.hasPrefix("\(path):1:24: error: invalid JSON") == true)
    }

    @Test func bomCRLFBlankLinesPairsAndDottedFields() throws {
        let dir = try TemporaryDirectory()
        let text =
            "\u{FEFF}{\"p\": \"a\", \"h\": \"b\", \"meta\": {\"y\": 2}}\r\n\r\n  \n{\"p\": \"c\", \"h\": \"d\", \"meta\": {\"y\": 0.5}}"
        let path = try dir.write("pairs.jsonl", text)
        let reader = JSONLReader(mapping: FieldMapping(text: "p", pair: "h", label: "meta.y"))
        let (records, summary) = try collect {
            try reader.read(path: path, displayName: "pairs.jsonl", policy: .fail, $1)
        }
        #expect(summary.skipped == 0)
        #expect(
            records == [
                Record(text: "a", pair: "b", label: .number(2), location: SourceLocation(file: "pairs.jsonl", line: 1)),
                Record(
                    text: "c", pair: "d", label: .number(0.5), location: SourceLocation(file: "pairs.jsonl", line: 4)),
            ])
        #expect(records.map { $0.label!.key } == ["2", "0.5"])
    }

    @Test func stringLabelTypeRejectsNumbers() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.jsonl", #"{"text": "a", "label": 1}"# + "\n")
        let reader = JSONLReader(mapping: FieldMapping(text: "text", label: "label", labelType: .string))
        let error = #expect(throws: DatasetError.self) { try reader.read(path: path, policy: .fail) { _ in } }
        #expect(error?.kind == .wrongType)
    }

    @Test func skipLimitStopsAMostlyBadFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.jsonl", String(repeating: "not json\n", count: 5))
        let reader = JSONLReader(mapping: mapping)
        let error = #expect(throws: DatasetError.self) {
            try reader.read(path: path, policy: .skip(limit: 3)) { _ in }
        }
        #expect(error?.kind == .tooManyBadRows && error?.line == 4)
        let (_, summary) = try collect { try reader.read(path: path, policy: .skip(limit: 5), $1) }
        #expect(summary.skipped == 5 && summary.records == 0)
    }

    @Test func missingFileAndDirectory() throws {
        let dir = try TemporaryDirectory()
        let reader = JSONLReader(mapping: mapping)
        let missing = #expect(throws: DatasetError.self) {
            try reader.read(path: dir.path + "/nope.jsonl", policy: .skip) { _ in }
        }
        #expect(missing?.kind == .fileNotFound)
        let directory = #expect(throws: DatasetError.self) { try reader.read(path: dir.path, policy: .skip) { _ in } }
        #expect(directory?.kind == .unreadable)
    }

    /// Even a DatasetError about the same file, thrown by the consumer, is not taken for a bad row.
    @Test func errorsThrownByTheConsumerPassThrough() throws {
        let path = "\(fixtures)/tasks/spam.jsonl"
        let consumerError = DatasetError(.invalidArgument, file: path, line: 1, message: "too long")
        let reader = JSONLReader(mapping: FieldMapping(text: "text", label: "label"))
        let error = #expect(throws: DatasetError.self) {
            try reader.read(path: path, policy: .skip) { _ in throw consumerError }
        }
        #expect(error == consumerError)
        let csv = CSVReader(mapping: FieldMapping(text: "text", label: "spam"))
        let csvPath = "\(fixtures)/raw/sms-spam.csv"
        let csvError = #expect(throws: DatasetError.self) {
            try csv.read(path: csvPath, policy: .skip) { _ in
                throw DatasetError(.invalidArgument, file: csvPath, line: 2, message: "stop")
            }
        }
        #expect(csvError?.message == "stop")
    }
}
