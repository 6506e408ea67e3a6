/// GPT-2's reversible byte ↔ printable character mapping and pre-tokenization regex.
enum ByteLevel {
    /// `bytes_to_unicode()`: byte → scalar.
    static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + n
                n += 1
            }
        }
        return table
    }()

    /// Scalar → byte, or -1 (scalars used are all < 0x144).
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, s) in byteToScalar.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    @inline(__always)
    static func byte(of scalar: UInt32) -> Int? {
        if scalar < 0x144, scalarToByte[Int(scalar)] >= 0 { return Int(scalarToByte[Int(scalar)]) }
        return nil
    }

    /// Appends the UTF-8 bytes of `c`.
    @inline(__always)
    static func utf8(_ c: UInt32, _ emit: (UInt8) -> Void) {
        switch c {
        case 0..<0x80: emit(UInt8(c))
        case 0x80..<0x800:
            emit(UInt8(0xC0 | (c >> 6)))
            emit(UInt8(0x80 | (c & 0x3F)))
        case 0x800..<0x10000:
            emit(UInt8(0xE0 | (c >> 12)))
            emit(UInt8(0x80 | ((c >> 6) & 0x3F)))
            emit(UInt8(0x80 | (c & 0x3F)))
        default:
            emit(UInt8(0xF0 | (c >> 18)))
            emit(UInt8(0x80 | ((c >> 12) & 0x3F)))
            emit(UInt8(0x80 | ((c >> 6) & 0x3F)))
            emit(UInt8(0x80 | (c & 0x3F)))
        }
    }

    private enum Kind { case letter, number, space, other }

    @inline(__always)
    private static func kind(_ c: UInt32) -> Kind {
        if c < 0x80 {
            if UnicodeClasses.inMask(UnicodeClasses.letterMask, c) { return .letter }
            if UnicodeClasses.inMask(UnicodeClasses.numberMask, c) { return .number }
            if UnicodeClasses.inMask(UnicodeClasses.wsMask, c) { return .space }
            return .other
        }
        if UnicodeClasses.isLetter(c) { return .letter }
        if UnicodeClasses.isNumber(c) { return .number }
        if UnicodeClasses.isWhitespace(c) { return .space }
        return .other
    }

    /// End of the match of
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` at `i`.
    @inline(__always)
    static func gpt2MatchEnd(_ s: UnsafeBufferPointer<UInt32>, _ i: Int, _ hi: Int) -> Int {
        let c = s[i]
        if c == 0x27, i + 1 < hi {  // '
            let d = s[i + 1]
            if d == 0x73 || d == 0x74 || d == 0x6D || d == 0x64 { return i + 2 }  // s t m d
            if i + 2 < hi {
                let e = s[i + 2]
                // re ve ll
                if (d == 0x72 && e == 0x65) || (d == 0x76 && e == 0x65) || (d == 0x6C && e == 0x6C) { return i + 3 }
            }
        }
        var j = i
        if c == 0x20, i + 1 < hi, kind(s[i + 1]) != .space { j = i + 1 }
        let k = kind(s[j])
        if k != .space {
            var e = j + 1
            while e < hi, kind(s[e]) == k { e += 1 }
            return e
        }
        var e = i + 1
        while e < hi, kind(s[e]) == .space { e += 1 }
        if e == hi { return hi }
        return e - i >= 2 ? e - 1 : e
    }
}

/// GPT-2 byte-level pre-tokenizer: optional prefix space, the GPT-2 regex, then every
/// UTF-8 byte becomes one printable character aligned to its source character.
public struct ByteLevelPreTokenizer: PreTokenizer {
    public var addPrefixSpace: Bool
    public var useRegex: Bool

    public init(addPrefixSpace: Bool = false, useRegex: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    public func preTokenize(_ p: inout PreTokenizedString) {
        var out = NormalizedString()
        out.reserve(p.text.count + p.text.count / 4 + 1)
        var newPieces: [Range<Int>] = []
        newPieces.reserveCapacity(p.text.count / 3)
        var buffer: [UInt32] = []
        var bufStarts: [Int32] = []
        var bufEnds: [Int32] = []
        let table = ByteLevel.byteToScalar
        for piece in p.pieces where !piece.isEmpty {
            buffer.removeAll(keepingCapacity: true)
            bufStarts.removeAll(keepingCapacity: true)
            bufEnds.removeAll(keepingCapacity: true)
            if addPrefixSpace, p.text.scalars[piece.lowerBound] != 0x20 {
                buffer.append(0x20)
                bufStarts.append(p.text.starts[piece.lowerBound])
                bufEnds.append(p.text.ends[piece.lowerBound])
            }
            buffer.append(contentsOf: p.text.scalars[piece])
            bufStarts.append(contentsOf: p.text.starts[piece])
            bufEnds.append(contentsOf: p.text.ends[piece])
            buffer.withUnsafeBufferPointer { s in
                let hi = s.count
                var i = 0
                while i < hi {
                    let e = useRegex ? ByteLevel.gpt2MatchEnd(s, i, hi) : hi
                    let start = out.count
                    for k in i..<e {
                        let st = bufStarts[k], en = bufEnds[k]
                        ByteLevel.utf8(s[k]) { out.append(table[Int($0)], st, en) }
                    }
                    newPieces.append(start..<out.count)
                    i = e
                }
            }
        }
        p.text = out
        p.pieces = newPieces
    }
}
