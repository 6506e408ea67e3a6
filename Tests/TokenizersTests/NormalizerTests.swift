import Foundation
import Testing

@testable import Tokenizers

@Suite struct NormalizerTests {
    @Test func everyNormalizerMatchesHF() throws {
        let cases = try ComponentGolden.cases("normalizer")
        #expect(cases.count > 300)
        var failures = 0
        for c in cases {
            let normalizer = try NormalizerFactory.make(c.config)
            var s = NormalizedString(try c.input.string())
            normalizer.normalize(&s)
            let expected = try c.output.string()
            if s.string != expected {
                failures += 1
                if failures <= 10 {
                    Issue.record("\(c): got \(s.string.debugDescription), HF \(expected.debugDescription)")
                }
            }
        }
        #expect(failures == 0)
    }

    /// Alignments: every normalized scalar maps back into the original text.
    @Test(arguments: ["naïve café", "ﬁne ½", "中文 x", "Ａ\u{0301}b", "a\u{0}b\u{7}c"])
    func alignmentsStayInsideTheOriginal(_ text: String) {
        var s = NormalizedString(text)
        BertNormalizer().normalize(&s)
        let n = text.unicodeScalars.count
        for i in 0..<s.count {
            #expect(s.starts[i] >= 0 && s.starts[i] <= s.ends[i] && Int(s.ends[i]) <= n)
        }
    }

    @Test func unsupportedNormalizerNamesItsPath() throws {
        let json =
            #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Mystery"}]}}"#
        #expect(
            throws: TokenizerError(.unsupported, path: "normalizer.normalizers[1].type", "unsupported \"Mystery\"")
        ) {
            try Tokenizer(json: Data(json.utf8))
        }
    }

    @Test(arguments: ["", "AAAA", "QUJD", "not base64!"])
    func malformedCharsmapIsALocatedError(_ charsmap: String) {
        let json =
            #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "\#(charsmap)"}}"#
        do {
            _ = try Tokenizer(json: Data(json.utf8))
            Issue.record("expected an error")
        } catch let e as TokenizerError {
            #expect(e.path == "normalizer.precompiled_charsmap")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
