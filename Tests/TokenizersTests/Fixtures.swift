import Foundation
import Testing

@testable import Tokenizers

/// Access to the golden fixtures written by scripts/golden/tokenizers/generate.sh.
enum Fixtures {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        guard let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw TokenizerError(.io, path: "", "fixture \(name) not found")
        }
        return url
    }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    static func tokenizer(_ name: String) throws -> Tokenizer { try Tokenizer(contentsOf: url(name)) }

    /// JSON lines after the header line.
    static func jsonLines(_ name: String) throws -> [JSONNode] {
        let text = String(decoding: try data(name), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.first?.contains("generate.sh, do not edit") == true, "\(name) lacks its generated-by header")
        lines.removeFirst()
        return try lines.map { try JSONNode.parse(Data($0.utf8)) }
    }

    struct Input {
        var text: String
        var pair: String?
    }

    static let inputs: [Input] = {
        (try? jsonLines("golden-lines.jsonl").map { n in
            Input(text: try n["text"].string(), pair: n.has("pair") ? try n["pair"].string() : nil)
        }) ?? []
    }()

    struct Golden {
        var index: Int
        var ids: [Int]
        var typeIds: [Int]?
        var offsets: [Encoding.Offset]
        var decoded: String?
    }

    static func numbers(_ s: String) -> [Int] { s.split(separator: " ").map { Int($0)! } }

    static func goldens(_ name: String) throws -> [Golden] {
        try jsonLines(name).map { n in
            let deltas = numbers(try n["offsets"].string())
            var offsets: [Encoding.Offset] = []
            var prev = 0
            for k in stride(from: 0, to: deltas.count, by: 2) {
                let start = prev + deltas[k], end = start + deltas[k + 1]
                offsets.append(.init(start, end))
                prev = end
            }
            return Golden(
                index: try n["i"].int(), ids: numbers(try n["ids"].string()),
                typeIds: n.has("type_ids") ? numbers(try n["type_ids"].string()) : nil, offsets: offsets,
                decoded: n.has("decoded") ? try n["decoded"].string() : nil)
        }
    }

    /// Encodes every golden input and compares ids, type ids, offsets and decoded text with HF's.
    /// Returns the number of mismatching lines (the first few are recorded as issues).
    static func compare(_ tok: Tokenizer, golden name: String) throws -> (checked: Int, mismatches: Int) {
        let goldens = try goldens(name)
        let inputs = Self.inputs
        #expect(!inputs.isEmpty)
        var mismatches = 0
        for g in goldens {
            let input = inputs[g.index]
            let e = try tok.encode(input.text, pair: input.pair)
            var problems: [String] = []
            if e.ids != g.ids { problems.append("ids \(e.ids) != HF \(g.ids)") }
            if let t = g.typeIds, e.typeIds != t { problems.append("type ids \(e.typeIds) != HF \(t)") }
            if e.offsets != g.offsets { problems.append("offsets \(e.offsets) != HF \(g.offsets)") }
            let decoded = tok.decode(e.ids)
            let expected = g.decoded ?? input.text
            if decoded != expected {
                problems.append("decoded \(decoded.debugDescription) != HF \(expected.debugDescription)")
            }
            if !problems.isEmpty {
                mismatches += 1
                if mismatches <= 8 {
                    Issue.record(
                        "\(name) line \(g.index) \(input.text.debugDescription) pair \(input.pair.debugDescription): \(problems.joined(separator: "; "))"
                    )
                }
            }
        }
        return (goldens.count, mismatches)
    }
}
