import Foundation
import Testing

@testable import Datasets

@Suite struct TextReaderTests {
    let emma = "\(fixtures)/emma-chapters.txt"

    @Test func unitsOverTheCorpusFormat() throws {
        // Title block, chapter I, chapter II: three documents; one paragraph per line.
        let content = try String(contentsOfFile: emma, encoding: .utf8)
        let paragraphs = content.split(separator: "\n").filter { !$0.isEmpty }
        let (lines, _) = try collect { try TextReader(unit: .byLine).read(path: emma, policy: .fail, $1) }
        #expect(lines.map(\.text) == paragraphs.map(String.init))
        let (documents, _) = try collect { try TextReader(unit: .byParagraph).read(path: emma, policy: .fail, $1) }
        #expect(documents.count == 3)
        #expect(documents[1].text.hasPrefix("CHAPTER I\nEmma Woodhouse, handsome, clever, and rich"))
        #expect(
            documents.map(\.location.line) == [
                1, 5,
                content.components(separatedBy: "\n\n")[0...1]
                    .map { $0.split(separator: "\n", omittingEmptySubsequences: false).count + 1 }.reduce(1, +),
            ])
        let (whole, _) = try collect { try TextReader(unit: .wholeFile).read(path: emma, policy: .fail, $1) }
        #expect(whole.count == 1 && whole[0].text == content.dropLast())
    }

    @Test func questionLabelsLineByLine() throws {
        let path = "\(fixtures)/raw/question_labels.txt"
        let (lines, summary) = try collect {
            try TextReader().read(path: path, displayName: "q.txt", policy: .fail, $1)
        }
        #expect(summary.records == 40 && lines.count == 40)
        #expect(lines[0].text == "DESC:manner How did serfdom develop in and then leave Russia ?")
        #expect(lines[39].location == SourceLocation(file: "q.txt", line: 40))
    }

    /// The line splitter must give the same lines whatever the chunk size (lines and CRLF pairs cut by chunks).
    @Test(arguments: [1, 2, 3, 7, 64, 1 << 16])
    func linesDoNotDependOnChunkSize(chunkSize: Int) throws {
        let dir = try TemporaryDirectory()
        let text = "\u{FEFF}first\r\nsecond line é\n\n\r\nlast without newline"
        let path = try dir.write("t.txt", text)
        var reader = LineReader(try ChunkedFile(path: path, displayName: "t.txt", chunkSize: chunkSize))
        var lines: [String] = []
        var numbers: [Int] = []
        while let (n, bytes) = try reader.next() {
            lines.append(String(decoding: bytes, as: UTF8.self))
            numbers.append(n)
        }
        #expect(lines == ["first", "second line é", "", "", "last without newline"])
        #expect(numbers == [1, 2, 3, 4, 5])
    }

    @Test func invalidUTF8LinesAreBadRows() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write(
            "t.txt", Data("good\n".utf8) + Data([0x61, 0x62, 0xC3, 0x28, 0x0A]) + Data("fine\n".utf8))
        let (lines, summary) = try collect { try TextReader().read(path: path, policy: .skip, $1) }
        #expect(lines.map(\.text) == ["good", "fine"])
        #expect(summary.firstErrors.first.map { [$0.line, $0.column] } == [2, 3])
    }
}
