import Foundation
import Testing

@testable import Datasets

@Suite struct FileGlobTests {
    static let tree = [
        "data/licenses/mit.txt", "data/licenses/apache-2.0.txt", "data/licenses/.hidden.txt",
        "data/licenses/notes.md", "data/licenses/old/gpl-2.0.txt", "data/spam.jsonl", "data/a[1].txt",
        "corpora/legal/licenses.txt", "corpora/legal/rules.txt", "corpora/austen/emma.txt",
    ]

    @Test(arguments: [
        ("data/licenses/*.txt", ["data/licenses/apache-2.0.txt", "data/licenses/mit.txt"]),
        (
            "data/licenses/**/*.txt",
            ["data/licenses/apache-2.0.txt", "data/licenses/mit.txt", "data/licenses/old/gpl-2.0.txt"]
        ),
        ("**/*.jsonl", ["data/spam.jsonl"]),
        ("corpora/*/*.txt", ["corpora/austen/emma.txt", "corpora/legal/licenses.txt", "corpora/legal/rules.txt"]),
        ("corpora/legal/[lr]*.txt", ["corpora/legal/licenses.txt", "corpora/legal/rules.txt"]),
        ("corpora/legal/[!l]*", ["corpora/legal/rules.txt"]),
        ("data/licenses/???.txt", ["data/licenses/mit.txt"]),
        ("data/a\\[1].txt", ["data/a[1].txt"]),
        ("data/licenses/.*.txt", ["data/licenses/.hidden.txt"]),
    ])
    func expands(pattern: String, expected: [String]) throws {
        let dir = try TemporaryDirectory()
        for file in Self.tree { try dir.write(file, file) }
        #expect(try FileGlob.expand(pattern, relativeTo: dir.path) == expected)
        // Absolute patterns give absolute paths.
        #expect(try FileGlob.expand(dir.path + "/" + pattern) == expected.map { dir.path + "/" + $0 })
    }

    @Test func noMatchIsAnError() throws {
        let dir = try TemporaryDirectory()
        let error = #expect(throws: DatasetError.self) { try FileGlob.expand("nothing/*.txt", relativeTo: dir.path) }
        #expect(error?.kind == .noMatch && error?.file == "nothing/*.txt")
    }

    @Test(arguments: [
        ("*.txt", "a.txt", true), ("*.txt", "a.txt.gz", false), ("a?c", "abc", true), ("a?c", "ac", false),
        ("[a-c]x", "bx", true), ("[a-c]x", "dx", false), ("[!a-c]x", "dx", true), ("*", ".hidden", false),
        ("[]]", "]", true), ("é*", "été", true), ("x\\*", "x*", true), ("x\\*", "xy", false), ("[ab", "[ab", true),
    ])
    func componentMatching(pattern: String, name: String, matches: Bool) {
        #expect(
            FileGlob.matches(Array(pattern.unicodeScalars)[...], Array(name.unicodeScalars)[...], start: true)
                == matches)
    }
}
