/// Normalized text cut into pieces (ranges of scalars) that the model tokenizes one by one.
public struct PreTokenizedString: Sendable {
    public var text: NormalizedString
    /// Non-overlapping, increasing ranges into `text`.
    public var pieces: [Range<Int>]
    /// Whether this segment starts the input (Metaspace's `prepend_scheme: first`).
    var isFirstSegment = true

    public init(_ text: NormalizedString) {
        self.text = text
        pieces = text.count > 0 ? [0..<text.count] : []
    }

    /// A second pieces buffer, swapped with `pieces` by `split` so splitting reuses memory.
    private var spare: [Range<Int>] = []

    /// Refills this value with original scalars `source[range]` (reusing its buffers).
    mutating func reset(from source: [UInt32], range: Range<Int>) {
        text.scalars.removeAll(keepingCapacity: true)
        text.starts.removeAll(keepingCapacity: true)
        text.ends.removeAll(keepingCapacity: true)
        text.scalars.append(contentsOf: source[range])
        for i in range {
            text.starts.append(Int32(i))
            text.ends.append(Int32(i + 1))
        }
    }

    /// One piece covering all of `text`.
    mutating func resetPieces(first: Bool) {
        pieces.removeAll(keepingCapacity: true)
        if text.count > 0 { pieces.append(0..<text.count) }
        isFirstSegment = first
    }

    /// Replaces each piece by the sub-ranges `body` appends (absolute indices into `text`).
    mutating func split(_ body: (UnsafeBufferPointer<UInt32>, Range<Int>, inout [Range<Int>]) -> Void) {
        var out = spare
        spare = []
        out.removeAll(keepingCapacity: true)
        text.scalars.withUnsafeBufferPointer { s in
            for piece in pieces { body(s, piece, &out) }
        }
        spare = pieces
        pieces = out
    }
}

/// How the delimiters found by a pre-tokenizer are kept (HF `SplitDelimiterBehavior`).
public enum SplitDelimiterBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Turns a partition of `range` into (sub-range, is-delimiter) parts into pieces,
    /// exactly as HF's `NormalizedString::split` does; empty pieces are dropped.
    func apply(_ parts: [(Range<Int>, Bool)], into out: inout [Range<Int>]) {
        switch self {
        case .removed:
            for (r, m) in parts where !m && !r.isEmpty { out.append(r) }
        case .isolated:
            for (r, _) in parts where !r.isEmpty { out.append(r) }
        case .contiguous:
            var acc: [Range<Int>] = []
            var previous = false
            for (r, m) in parts {
                if m == previous, let last = acc.last {
                    acc[acc.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    acc.append(r)
                }
                previous = m
            }
            for r in acc where !r.isEmpty { out.append(r) }
        case .mergedWithPrevious:
            var acc: [Range<Int>] = []
            var previous = false
            for (r, m) in parts {
                if m && !previous, let last = acc.last {
                    acc[acc.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    acc.append(r)
                }
                previous = m
            }
            for r in acc where !r.isEmpty { out.append(r) }
        case .mergedWithNext:
            var acc: [Range<Int>] = []
            var previous = false
            for (r, m) in parts.reversed() {
                if m && !previous, let last = acc.last {
                    acc[acc.count - 1] = r.lowerBound..<last.upperBound
                } else {
                    acc.append(r)
                }
                previous = m
            }
            for r in acc.reversed() where !r.isEmpty { out.append(r) }
        }
    }

    /// Partitions `range` around `matches` (sorted, non-overlapping) and applies the behavior.
    func apply(matches: [Range<Int>], in range: Range<Int>, invert: Bool = false, into out: inout [Range<Int>]) {
        var parts: [(Range<Int>, Bool)] = []
        var prev = range.lowerBound
        for m in matches {
            if m.lowerBound > prev { parts.append((prev..<m.lowerBound, invert)) }
            parts.append((m, !invert))
            prev = m.upperBound
        }
        if prev < range.upperBound { parts.append((prev..<range.upperBound, invert)) }
        apply(parts, into: &out)
    }
}
