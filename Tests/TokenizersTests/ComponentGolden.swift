import Foundation
import Testing

@testable import Tokenizers

/// Single-component goldens (components-golden.jsonl): HF's `normalize_str`, `pre_tokenize_str`
/// and decoder `decode` outputs for each listed configuration and input.
enum ComponentGolden {
    struct Case: CustomStringConvertible {
        var config: JSONNode
        var input: JSONNode
        var output: JSONNode
        var description: String {
            "\(config.value.map { JSONWriter.write($0, pretty: false) } ?? "") on \(input.value.map { JSONWriter.write($0, pretty: false) } ?? "")"
        }
    }

    static func cases(_ kind: String) throws -> [Case] {
        try Fixtures.jsonLines("components-golden.jsonl").filter { (try? $0["kind"].string()) == kind }.flatMap {
            record in
            try record["cases"].array().map { c in
                let pair = try c.array()
                return Case(config: JSONNode(record["config"].value, path: kind), input: pair[0], output: pair[1])
            }
        }
    }
}
