import Foundation
import Testing

@testable import Tokenizers

@Suite struct DecoderTests {
    @Test func everyDecoderMatchesHF() throws {
        let cases = try ComponentGolden.cases("decoder")
        #expect(cases.count > 50)
        var failures = 0
        for c in cases {
            let decoder = try DecoderFactory.make(c.config)
            let got = decoder.decode(try c.input.array().map { try $0.string() })
            let expected = try c.output.string()
            if got != expected {
                failures += 1
                if failures <= 10 { Issue.record("\(c): got \(got.debugDescription), HF \(expected.debugDescription)") }
            }
        }
        #expect(failures == 0)
    }

    /// Swift's `hasPrefix` compares graphemes: "##ि" must still count as a continuation.
    @Test func wordPieceContinuationBeforeACombiningMark() {
        let d = WordPieceDecoder(prefix: "##", cleanup: true)
        #expect(d.decode(["दन", "##िय", "##ा"]) == "दनिया")
    }
}
