import Testing

@testable import Datasets

@Suite struct DatasetErrorTests {
    @Test(arguments: [
        (
            DatasetError(.invalidJSON, file: "a.jsonl", line: 3, column: 7, message: "bad", hint: "fix it"),
            "a.jsonl:3:7: error: bad (hint: fix it)"
        ),
        (DatasetError(.missingField, file: "a.jsonl", line: 3, message: "missing"), "a.jsonl:3: error: missing"),
        (
            DatasetError(.noMatch, file: "x/*.txt", column: 4, message: "no files match"),
            "x/*.txt: error: no files match"
        ),
    ])
    func description(error: DatasetError, expected: String) {
        #expect(error.description == expected)
    }
}
