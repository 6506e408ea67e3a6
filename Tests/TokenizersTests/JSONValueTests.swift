import Foundation
import Testing

@testable import Tokenizers

@Suite struct JSONValueTests {
    @Test func parsesEscapesSurrogatesAndNumbers() throws {
        let n = try JSONNode.parse(
            Data(
                #"{"s": "a\"b\\c\u00e9\ud83d\ude42\n", "i": -12, "f": 1.5e2, "g": 2.5, "t": true, "z": null, "a": [1, {"k": []}]}"#
                    .utf8))
        #expect(try n["s"].string() == "a\"b\\cé🙂\n")
        #expect(try n["i"].int() == -12)
        #expect(try n["f"].double() == 150)
        #expect(try n["t"].bool())
        #expect(n["z"].isNull && !n.has("z"))
        #expect(try n["a"].array()[1]["k"].array().isEmpty)
        #expect(throws: TokenizerError.self) { try n["g"].int() }
        #expect(throws: TokenizerError.self) { try n["t"].int() }
    }

    @Test(arguments: ["{", "[1,]", #"{"a" 1}"#, #""\x""#, "tru", "1 2", ""])
    func rejectsMalformed(_ text: String) {
        #expect(throws: TokenizerError.self) { try JSONNode.parse(Data(text.utf8)) }
    }

    @Test func writerRoundTrips() throws {
        let v: JSONValue = .object([
            ("a", .array([.number(1), .string("x\u{1}\"")])), ("b", .null), ("c", .bool(false)),
        ])
        for pretty in [false, true] {
            let text = JSONWriter.write(v, pretty: pretty)
            #expect(try JSONNode.parse(Data(text.utf8)).value == v)
        }
    }
}
