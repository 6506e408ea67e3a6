/// Text being tokenized, as Unicode scalar values, each aligned to the range of original
/// characters (Unicode scalar indices — what Python's `str` indexes) it came from.
///
/// Working on `UInt32` scalars instead of `String`/`Character` keeps the hot loops free
/// of grapheme breaking and reference counting.
public struct NormalizedString: Sendable {
    /// Current scalar values.
    public var scalars: [UInt32]
    /// For each scalar, the first original character it came from.
    public var starts: [Int32]
    /// For each scalar, one past the last original character it came from.
    public var ends: [Int32]

    public init() {
        scalars = []
        starts = []
        ends = []
    }

    /// Wraps original scalars `source[range]`; alignments are original indices.
    init(_ source: UnsafeBufferPointer<UInt32>, range: Range<Int>) {
        scalars = Array(source[range])
        starts = [Int32](unsafeUninitializedCapacity: range.count) { buf, n in
            var k = 0
            for i in range { buf[k] = Int32(i); k += 1 }
            n = range.count
        }
        ends = starts.map { $0 + 1 }
    }

    public init(_ text: String) {
        let s = text.unicodeScalars.map(\.value)
        self = s.withUnsafeBufferPointer { NormalizedString($0, range: 0..<$0.count) }
    }

    public var count: Int { scalars.count }

    public var string: String {
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars.lazy.map { Unicode.Scalar($0) ?? "\u{FFFD}" })
        return out
    }

    mutating func reserve(_ n: Int) {
        scalars.reserveCapacity(n)
        starts.reserveCapacity(n)
        ends.reserveCapacity(n)
    }

    @inline(__always)
    mutating func append(_ scalar: UInt32, _ start: Int32, _ end: Int32) {
        scalars.append(scalar)
        starts.append(start)
        ends.append(end)
    }

    /// True when every scalar is ASCII (lets normalizers skip Unicode work).
    var isASCII: Bool {
        var acc: UInt32 = 0
        for s in scalars { acc |= s }
        return acc < 0x80
    }

    /// Rebuilds the string by mapping each scalar to zero or more scalars, all aligned to
    /// the source scalar's original range.
    mutating func transform(_ body: (UInt32, (UInt32) -> Void) -> Void) {
        var out = NormalizedString()
        out.reserve(scalars.count)
        for i in 0..<scalars.count {
            let st = starts[i], en = ends[i]
            body(scalars[i]) { out.append($0, st, en) }
        }
        self = out
    }

    /// Keeps the scalars for which `keep` is true.
    mutating func filter(_ keep: (UInt32) -> Bool) {
        var w = 0
        for i in 0..<scalars.count where keep(scalars[i]) {
            scalars[w] = scalars[i]
            starts[w] = starts[i]
            ends[w] = ends[i]
            w += 1
        }
        scalars.removeLast(scalars.count - w)
        starts.removeLast(starts.count - w)
        ends.removeLast(ends.count - w)
    }

    /// Original character range covered by normalized scalars `range` (HF's `convert_offsets`).
    func originalRange(_ range: Range<Int>) -> (Int, Int) {
        if range.isEmpty {
            if range.lowerBound < count { return (Int(starts[range.lowerBound]), Int(starts[range.lowerBound])) }
            if let e = ends.last { return (Int(e), Int(e)) }
            return (0, 0)
        }
        return (Int(starts[range.lowerBound]), Int(ends[range.upperBound - 1]))
    }
}
