import Foundation
import Testing

@testable import Datasets

@Suite struct CSVReaderTests {
    @Test func readsTheRawSMSSpamCSV() throws {
        // Header ",spam,text": the first column is unnamed; texts are quoted when they hold commas or quotes.
        let reader = CSVReader(mapping: FieldMapping(text: "text", label: "spam"))
        let (records, summary) = try collect {
            try reader.read(path: "\(fixtures)/raw/sms-spam.csv", displayName: "sms-spam.csv", policy: .fail, $1)
        }
        #expect(summary.records == 59 && records.count == 59)
        #expect(records.filter { $0.label == .string("1") }.count == 12)
        #expect(records[0].text.hasPrefix("Go until jurong point, crazy.."))
        #expect(records[0].location == SourceLocation(file: "sms-spam.csv", line: 2))
        #expect(records.allSatisfy { !$0.text.hasPrefix("\"") })
    }

    @Test func idsComeFromTheirColumn() throws {
        let reader = CSVReader(mapping: FieldMapping(text: "text", label: "sentiment", id: "id"), dialect: .tsv)
        let (records, _) = try collect {
            try reader.read(path: "\(fixtures)/raw/tweets_GroundTruth.txt", policy: .fail, $1)
        }
        #expect(records.count == 39 && records.map(\.id) == (1...39).map { String($0) })
        let missing = CSVReader(mapping: FieldMapping(text: "text", id: "key"), dialect: .tsv)
        #expect(throws: DatasetError.self) {
            try missing.read(path: "\(fixtures)/raw/tweets_GroundTruth.txt", policy: .skip) { _ in }
        }
    }

    @Test func readsTheVADERTSVWithCRLFAndNumericLabels() throws {
        let reader = CSVReader(
            mapping: FieldMapping(text: "text", label: "sentiment", labelType: .number), dialect: .tsv)
        let (records, _) = try collect {
            try reader.read(path: "\(fixtures)/raw/tweets_GroundTruth.txt", policy: .fail, $1)
        }
        #expect(records.count == 39)
        #expect(records[0].label == .number(2.726315789))
        #expect(records[1].text == "Yay. Another good phone interview.")
        #expect(records.allSatisfy { !$0.text.hasSuffix("\r") })
    }

    /// RFC 4180 cases: file contents → (text, label, line) of each record.
    @Test(arguments: [
        ("t,l\na,x\nb,y\n", [("a", "x", 2), ("b", "y", 3)]),
        ("t,l\r\na,x\r\nb,y", [("a", "x", 2), ("b", "y", 3)]),
        ("\u{FEFF}t,l\n\"a, b\",x\n", [("a, b", "x", 2)]),
        ("t,l\n\"say \"\"hi\"\"\",x\n", [("say \"hi\"", "x", 2)]),
        ("t,l\n\"two\nlines\",x\nc,y\n", [("two\nlines", "x", 2), ("c", "y", 4)]),
        ("t,l\n\"crlf\r\ninside\",x\r\n", [("crlf\r\ninside", "x", 2)]),
        ("t,l\n\na,x\n\r\n\nb,y\n", [("a", "x", 3), ("b", "y", 6)]),
        ("t,l\n5'6\" tall,x\n", [("5'6\" tall", "x", 2)]),
        ("t,l\n\"q\",\"\"\n", [("q", "", 2)]),
        ("t,l\n\"é😀\",ü\n", [("é😀", "ü", 2)]),
    ])
    func rfc4180(contents: String, expected: [(String, String, Int)]) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.csv", contents)
        let reader = CSVReader(mapping: FieldMapping(text: "t", label: "l"))
        let (records, summary) = try collect { try reader.read(path: path, policy: .skip, $1) }
        if expected.contains(where: { $0.1.isEmpty }) {
            // An empty label is a bad row.
            #expect(records.isEmpty && summary.skipped == 1)
            return
        }
        #expect(summary.skipped == 0, "\(summary.firstErrors)")
        #expect(records.map(\.text) == expected.map(\.0))
        #expect(records.map { $0.label?.key ?? "" } == expected.map(\.1))
        #expect(records.map(\.location.line) == expected.map(\.2))
    }

    /// Bad rows: contents → error kind, line, column (nil: not checked), and the good texts around them.
    @Test(arguments: [
        ("t,l\na,x\nb\nc,z\n", DatasetError.Kind.columnCount, 3, Optional<Int>.none, ["a", "c"]),
        ("t,l\na,x,extra\nc,z\n", .columnCount, 2, nil, ["c"]),
        ("t,l\n\"a\"b,x\nc,z\n", .strayQuote, 2, 4, ["c"]),
        ("t,l\nc,z\n\"open,x\nmore\n", .unterminatedQuote, 3, 1, ["c"]),
        ("t,l\n,x\nc,z\n", .emptyText, 2, nil, ["c"]),
    ])
    func badRows(contents: String, kind: DatasetError.Kind, line: Int, column: Int?, good: [String]) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.csv", contents)
        let reader = CSVReader(mapping: FieldMapping(text: "t", label: "l"))
        let (records, summary) = try collect { try reader.read(path: path, policy: .skip, $1) }
        #expect(records.map(\.text) == good)
        #expect(summary.skipped == 1)
        let error = summary.firstErrors.first
        #expect(error?.kind == kind)
        #expect(error?.line == line)
        if let column { #expect(error?.column == column) }
        #expect(throws: DatasetError.self) { try reader.read(path: path, policy: .fail) { _ in } }
    }

    @Test func unknownColumnIsFatalWhateverThePolicy() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.csv", "text,label\na,b\n")
        let reader = CSVReader(mapping: FieldMapping(text: "txt", label: "label"))
        let error = #expect(throws: DatasetError.self) { try reader.read(path: path, policy: .skip) { _ in } }
        #expect(error?.kind == .missingField && error?.line == 1)
        #expect(error?.hint?.contains("'text'") == true)
    }

    @Test func headerlessFilesUseColumnNumbers() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.tsv", "1\tpremise one\thypothesis one\n0\tpremise two\thypothesis two\n")
        let dialect = CSVDialect(delimiter: UInt8(ascii: "\t"), quote: nil, hasHeader: false)
        let reader = CSVReader(mapping: FieldMapping(text: "2", pair: "3", label: "1"), dialect: dialect)
        let (records, _) = try collect { try reader.read(path: path, policy: .fail, $1) }
        #expect(records.map(\.pair) == ["hypothesis one", "hypothesis two"])
        #expect(records.map(\.label) == [.string("1"), .string("0")])
        let named = CSVReader(mapping: FieldMapping(text: "text"), dialect: dialect)
        #expect(throws: DatasetError.self) { try named.read(path: path, policy: .skip) { _ in } }
    }

    @Test func numericLabelsMustParse() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.csv", "t,y\na,1.5\nb,high\nc,-2\n")
        let reader = CSVReader(mapping: FieldMapping(text: "t", label: "y", labelType: .number))
        let (records, summary) = try collect { try reader.read(path: path, policy: .skip, $1) }
        #expect(records.map(\.label) == [.number(1.5), .number(-2)])
        #expect(summary.firstErrors.map(\.kind) == [.wrongType] && summary.firstErrors.first?.line == 3)
    }

    @Test func invalidUTF8IsABadRow() throws {
        let dir = try TemporaryDirectory()
        var data = Data("t,l\nok,x\n".utf8)
        data += Data([0x62, 0xFF, 0x2C, 0x78, 0x0A])  // "b\xFF,x\n"
        data += Data("c,z\n".utf8)
        let path = try dir.write("d.csv", data)
        let reader = CSVReader(mapping: FieldMapping(text: "t", label: "l"))
        let (records, summary) = try collect { try reader.read(path: path, policy: .skip, $1) }
        #expect(records.map(\.text) == ["ok", "c"])
        #expect(summary.firstErrors.first?.kind == .invalidEncoding && summary.firstErrors.first?.line == 3)
    }
}
