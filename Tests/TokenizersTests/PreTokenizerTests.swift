import Foundation
import Testing

@testable import Tokenizers

@Suite struct PreTokenizerTests {
    @Test func everyPreTokenizerMatchesHF() throws {
        let cases = try ComponentGolden.cases("pre_tokenizer")
        #expect(cases.count > 400)
        var failures = 0
        for c in cases {
            let pre = try PreTokenizerFactory.make(c.config)
            var p = PreTokenizedString(NormalizedString(try c.input.string()))
            pre.preTokenize(&p)
            let got: [String] = p.pieces.map { r in
                let (st, en) = p.text.originalRange(r)
                var piece = ""
                piece.unicodeScalars.append(contentsOf: p.text.scalars[r].map { Unicode.Scalar($0)! })
                return "\(piece.debugDescription) \(st) \(en)"
            }
            let expected: [String] = try c.output.array().map { t in
                let a = try t.array()
                return "\(try a[0].string().debugDescription) \(try a[1].int()) \(try a[2].int())"
            }
            if got != expected {
                failures += 1
                if failures <= 10 { Issue.record("\(c): got \(got), HF \(expected)") }
            }
        }
        #expect(failures == 0)
    }

    /// GPT-2's split pattern, case by case (what the hand-written matcher must reproduce).
    @Test(arguments: [
        ("I'm here", ["I", "'m", "Ġhere"]),
        ("  two spaces", ["Ġ", "Ġtwo", "Ġspaces"]),
        ("end  ", ["end", "ĠĠ"]),
        ("x\n\ny", ["x", "Ċ", "Ċ", "y"]),
        ("a 123 b", ["a", "Ġ123", "Ġb"]),
        ("?! ok", ["?!", "Ġok"]),
        ("'sa 'LL", ["'s", "a", "Ġ'", "LL"]),
    ])
    func gpt2Pattern(_ text: String, _ pieces: [String]) {
        var p = PreTokenizedString(NormalizedString(text))
        ByteLevelPreTokenizer(addPrefixSpace: false).preTokenize(&p)
        let got = p.pieces.map { r in
            var s = ""
            s.unicodeScalars.append(contentsOf: p.text.scalars[r].map { Unicode.Scalar($0)! })
            return s
        }
        #expect(got == pieces)
    }

    @Test func invalidRegexIsReportedWithItsPath() throws {
        let json =
            #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Split", "pattern": {"Regex": "(\\p{L}+"}, "behavior": "Removed", "invert": false}]}}"#
        do {
            _ = try Tokenizer(json: Data(json.utf8))
            Issue.record("expected an error")
        } catch let e as TokenizerError {
            #expect(e.path == "pre_tokenizer.pretokenizers[1].pattern.Regex")
            #expect(e.code == .invalid)
        }
    }
}
