import Testing

@testable import Tokenizers

@Suite struct UnicodeClassesTests {
    /// The hard-coded White_Space set equals the Unicode property for every scalar.
    @Test func whitespaceTableMatchesTheUnicodeProperty() {
        for v in UInt32(0)...0x10FFFF {
            guard let u = Unicode.Scalar(v) else { continue }
            if UnicodeClasses.isWhitespace(v) != u.properties.isWhitespace {
                Issue.record("U+\(String(v, radix: 16)) differs")
            }
        }
    }

    /// The ASCII bit masks agree with the Unicode properties they stand for.
    @Test func asciiMasksMatchProperties() {
        for v in UInt32(0)..<0x80 {
            let p = Unicode.Scalar(v)!.properties
            #expect(UnicodeClasses.isLetter(v) == p.isAlphabetic, "U+\(v)")
            #expect(UnicodeClasses.isNumber(v) == (p.numericType != nil), "U+\(v)")
            #expect(UnicodeClasses.isOther(v) == (p.generalCategory == .control), "U+\(v)")
            let asciiPunct =
                (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v)
                || (0x7B...0x7E).contains(v)
            #expect(UnicodeClasses.isBertPunctuation(v) == asciiPunct, "U+\(v)")
        }
    }
}
