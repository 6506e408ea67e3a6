/// Character classes with the semantics HF `tokenizers` uses (Rust `char` methods,
/// the `unicode_categories` crate, and Oniguruma's `\s \p{L} \p{N}`), with ASCII tables
/// so the common case is one load.
enum UnicodeClasses {
    // Bit flags of the ASCII table.
    static let wsBit: UInt8 = 1, letterBit: UInt8 = 2, numberBit: UInt8 = 4, punctBit: UInt8 = 8, controlBit: UInt8 = 16

    // ASCII classes as 128-bit masks (low, high 64 bits): integer literals need no lazy
    // initialisation, unlike a static array (whose every access checks `swift_once`).
    static let wsMask: (UInt64, UInt64) = (0x0000_0001_0000_3E00, 0)
    static let letterMask: (UInt64, UInt64) = (0, 0x07FF_FFFE_07FF_FFFE)
    static let numberMask: (UInt64, UInt64) = (0x03FF_0000_0000_0000, 0)
    static let punctMask: (UInt64, UInt64) = (0xFC00_FFFE_0000_0000, 0x7800_0001_F800_0001)
    static let controlMask: (UInt64, UInt64) = (0x0000_0000_FFFF_FFFF, 0x8000_0000_0000_0000)

    @inline(__always)
    static func inMask(_ m: (UInt64, UInt64), _ c: UInt32) -> Bool {
        c < 64 ? (m.0 >> UInt64(c)) & 1 != 0 : (m.1 >> UInt64(c & 63)) & 1 != 0
    }

    /// The class bits of an ASCII scalar (`c < 0x80`).
    @inline(__always)
    static func asciiClass(_ c: UInt32) -> UInt8 {
        var r: UInt8 = 0
        if inMask(wsMask, c) { r |= wsBit }
        if inMask(letterMask, c) { r |= letterBit }
        if inMask(numberMask, c) { r |= numberBit }
        if inMask(punctMask, c) { r |= punctBit }
        if inMask(controlMask, c) { r |= controlBit }
        return r
    }

    @inline(__always)
    static func category(_ c: UInt32) -> Unicode.GeneralCategory {
        guard let s = Unicode.Scalar(c) else { return .surrogate }
        return s.properties.generalCategory
    }

    /// Rust `char::is_whitespace` (White_Space), which is also Oniguruma's Unicode `\s`.
    @inline(__always)
    static func isWhitespace(_ c: UInt32) -> Bool {
        if c < 0x80 { return inMask(wsMask, c) }
        // The White_Space property is a small fixed set (a table lookup would be far slower).
        switch c {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `\p{L}`.
    @inline(__always)
    static func isLetter(_ c: UInt32) -> Bool {
        if c < 0x80 { return inMask(letterMask, c) }
        switch category(c) {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}` and Rust `char::is_numeric`.
    @inline(__always)
    static func isNumber(_ c: UInt32) -> Bool {
        if c < 0x80 { return inMask(numberMask, c) }
        switch category(c) {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Unicode general category P* (the `unicode_categories` crate's `is_punctuation`).
    @inline(__always)
    static func isUnicodePunctuation(_ c: UInt32) -> Bool {
        if c < 0x80 {
            // ASCII symbols such as `$+<=>^`|~` are S*, not P*.
            switch c {
            case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A, 0x3B, 0x3F, 0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D:
                return true
            default: return false
            }
        }
        switch category(c) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// HF's `is_bert_punc` and the Punctuation pre-tokenizer: ASCII punctuation or P*.
    @inline(__always)
    static func isBertPunctuation(_ c: UInt32) -> Bool {
        if c < 0x80 { return inMask(punctMask, c) }
        return isUnicodePunctuation(c)
    }

    /// The `unicode_categories` crate's `is_other`: Cc, Cf, Cn, Co, Cs.
    @inline(__always)
    static func isOther(_ c: UInt32) -> Bool {
        if c < 0x80 { return inMask(controlMask, c) }
        switch category(c) {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Mn.
    @inline(__always)
    static func isNonspacingMark(_ c: UInt32) -> Bool {
        if c < 0x300 { return false }
        return category(c) == .nonspacingMark
    }

    /// Oniguruma `\w` (Unicode TR18): Alphabetic, marks, decimal numbers, connector
    /// punctuation and Join_Control (so ZWJ in emoji sequences is a word character).
    @inline(__always)
    static func isWord(_ c: UInt32) -> Bool {
        if c < 0x80 { return inMask(letterMask, c) || inMask(numberMask, c) || c == 0x5F }
        if c == 0x200C || c == 0x200D { return true }
        guard let s = Unicode.Scalar(c) else { return false }
        if s.properties.isAlphabetic { return true }
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// BERT's "Chinese character": the CJK ideograph blocks.
    @inline(__always)
    static func isChineseChar(_ c: UInt32) -> Bool {
        switch c {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    /// Rust `char::to_lowercase`.
    @inline(__always)
    static func lowercase(_ c: UInt32, _ emit: (UInt32) -> Void) {
        if c < 0x80 {
            emit(c >= 0x41 && c <= 0x5A ? c + 32 : c)
            return
        }
        guard let s = Unicode.Scalar(c) else { emit(c); return }
        if !s.properties.changesWhenLowercased { emit(c); return }
        for u in s.properties.lowercaseMapping.unicodeScalars { emit(u.value) }
    }
}
