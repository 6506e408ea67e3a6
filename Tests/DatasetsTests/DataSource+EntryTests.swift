import Testing

@testable import Datasets

@Suite struct DataSourceEntryTests {
    @Test(arguments: [
        (
            ["path": "data/trec/train.jsonl", "label": "coarse"],
            DataSource(
                path: "data/trec/train.jsonl", format: .jsonl, mapping: FieldMapping(text: "text", label: "coarse"))
        ),
        (
            ["path": "spam.csv", "text": "v2", "label": "v1"],
            DataSource(path: "spam.csv", format: .csv, mapping: FieldMapping(text: "v2", label: "v1"))
        ),
        (
            ["path": "x.txt", "format": "tsv", "label": "sentiment", "label_type": "number"],
            DataSource(
                path: "x.txt", format: .tsv, mapping: FieldMapping(text: "text", label: "sentiment", labelType: .number)
            )
        ),
        (
            ["path": "x.data", "format": "csv", "delimiter": ";", "quote": "none", "header": "false", "text": "2"],
            DataSource(
                path: "x.data",
                format: .delimited(CSVDialect(delimiter: UInt8(ascii: ";"), quote: nil, hasHeader: false)),
                mapping: FieldMapping(text: "2"))
        ),
        (
            ["path": "x", "format": "csv", "delimiter": "\\t"],
            DataSource(path: "x", format: .delimited(CSVDialect(delimiter: 9)), mapping: FieldMapping())
        ),
        (
            ["path": "corpora/legal/*.txt", "unit": "paragraph"],
            DataSource(path: "corpora/legal/*.txt", format: .text(.byParagraph))
        ),
    ])
    func parsesEntries(entry: [String: String], expected: DataSource) throws {
        #expect(try DataSource(entry: entry, name: "data.x") == expected)
    }

    @Test(
        arguments: [
            (["path": "a.jsonl", "lable": "y"], ["unknown key 'lable' in data entry"], "did you mean 'label'?"),
            (["path": "a", "format": "jsnl"], ["unknown format 'jsnl'"], "did you mean 'jsonl'?"),
            ([String: String](), ["data entry needs a 'path'"], nil),
            (
                ["path": "a.jsonl", "delimiter": ",", "unit": "line"],
                ["'delimiter' applies to csv and tsv data only", "'unit' applies to text data only"], nil
            ),
            (
                ["path": "a.txt", "label": "x", "unit": "page"],
                ["'unit' must be line, paragraph or file, found 'page'", "'label' does not apply to text data"], nil
            ),
            (
                ["path": "a.csv", "delimiter": "ab", "header": "yes", "label_type": "int"],
                [
                    "'delimiter' must be one ASCII character, found 'ab'",
                    "'header' must be true or false, found 'yes'",
                    "'label_type' must be any, string or number, found 'int'",
                ], nil
            ),
        ] as [([String: String], [String], String?)])
    func reportsEveryProblem(entry: [String: String], messages: [String], hint: String?) {
        do {
            _ = try DataSource(entry: entry, name: "data.spam")
            Issue.record("expected an error")
        } catch let error as DatasetError {
            #expect([error.message] == messages)
            #expect(error.file == "data.spam")
            if let hint { #expect(error.hint == hint) }
        } catch let errors as DatasetErrors {
            #expect(Set(errors.errors.map(\.message)) == Set(messages))
            #expect(errors.errors.count == messages.count)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
