import Foundation
import PipelineCore
import Testing

/// The YAML reader under hostile input: everything that could make the tree larger than the text, or the read
/// longer than the text, is a located error (issue 8, item 1).
@Suite struct YAMLComposerTests {
    /// Ten anchors, each a list of ten aliases of the previous one: 585 bytes that expand to 10^10 nodes.
    static func bomb(indent: String = "") -> String {
        var text = indent + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            let previous = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += indent + "a\(i): &a\(i) [\(previous)]\n"
        }
        return text
    }

    func problems(_ text: String) -> [String] {
        do {
            _ = try YAMLNode.parse(text, file: "p.yaml")
            return []
        } catch {
            return error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
        }
    }

    @Test func anAliasBombIsRefusedAtItsFirstAlias() {
        #expect(problems("version: 1\n" + Self.bomb()) == ["3:10: YAML aliases are not supported in pipeline files"])
    }

    @Test func anAliasBombInsideWithIsRefusedByTheValidator() throws {
        let text = "version: 1\nstages:\n  a:\n    plugin: train\n    with:\n" + Self.bomb(indent: "      ")
        let validator = PipelineValidator(registry: MalformedPipelineTests.registry)
        #expect(throws: PipelineInvalid.self) { try validator.validate(text: text, file: "/tmp/p.yaml") }
    }

    @Test func anAliasUsedAsAKeyIsRefused() {
        // Yams' composer hashes keys to find duplicates: an aliased key would be expanded to be hashed.
        #expect(problems("a: &x [1, 2]\n? *x\n: 3\n") == ["2:3: YAML aliases are not supported in pipeline files"])
    }

    @Test func nestingDeeperThanTheLimitIsRefused() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(problems(deep) == ["1:33: values nested deeper than 32 levels"])
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(problems(ok) == [])
    }

    @Test func hugeScalarsAndKeysAreRefused() {
        let big = String(repeating: "x", count: 70_000)
        #expect(problems("a: \(big)\n") == ["1:4: a value of 70000 bytes; at most 65536 are allowed"])
        #expect(problems("\(String(repeating: "k", count: 300)): 1\n") == ["1:1: a key longer than 256 bytes"])
    }

    @Test func tooManyValuesAndTooManyBytesAreRefused() {
        let many = "[" + Array(repeating: "1", count: 60_000).joined(separator: ",") + "]"
        #expect(problems(many).first?.hasSuffix("the document has more than 50000 values") == true)
        let large = "a: \"" + String(repeating: "y", count: 60_000) + "\"\n"
        #expect(problems(String(repeating: large, count: 20)) == ["1:1: the file is 1200120 bytes; pipeline files may have at most 1048576"])
    }

    @Test func tagsOutsideTheCoreSchemaAreRefused() throws {
        #expect(problems("a: !!python/object:os.system x\n") == ["1:4: YAML tag 'tag:yaml.org,2002:python/object:os.system' is not supported in pipeline files"])
        #expect(problems("a: !custom 1\n") == ["1:4: YAML tag '!custom' is not supported in pipeline files"])
        // `!!str` keeps a plain scalar a string.
        let node = try YAMLNode.parse("a: !!str 5\n", file: "p.yaml")
        #expect(node?["a"]?.json == .string("5"))
    }

    @Test func invalidUTF8IsALocatedError() {
        var bytes = Array("version: 1\nname: ".utf8)
        bytes += [0xC3, 0x28, 0x0A]
        do {
            _ = try YAMLNode.parse(bytes: bytes, file: "p.yaml")
            Issue.record("expected an encoding error")
        } catch {
            #expect(error.diagnostics.map(\.location.line) == [2])
            #expect(error.diagnostics.first?.message.contains("not valid UTF-8") == true)
        }
    }

    @Test func duplicateKeysAreLocatedAtTheRepeatInBlockAndFlowMappings() {
        #expect(problems("a: 1\nb: 2\na: 3\n") == ["3:1: duplicate key 'a'"])
        #expect(problems("m: {x: 1, y: 2, x: 3}\n") == ["1:17: duplicate key 'x'"])
    }

    @Test func aSecondDocumentIsRefused() {
        #expect(problems("a: 1\n---\nb: 2\n") == ["2:1: a pipeline file holds one YAML document; found another here"])
    }
}
