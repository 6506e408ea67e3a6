/// An entity found in a tag sequence: its type and its token range (inclusive ends).
public struct EntitySpan: Hashable, Sendable, Codable, Comparable {
    public var type: String
    public var start: Int
    public var end: Int

    public init(type: String, start: Int, end: Int) {
        self.type = type
        self.start = start
        self.end = end
    }

    public static func < (a: EntitySpan, b: EntitySpan) -> Bool {
        (a.start, a.end, a.type) < (b.start, b.end, b.type)
    }

    /// The entities of one sentence's IOB2 tags, read the way seqeval's default mode (and CoNLL's `conlleval`)
    /// reads them.
    ///
    /// Accepted tags: `O`, `B-TYPE`, `I-TYPE` (TYPE non-empty; everything after the first `-`). An entity starts
    /// at `B-X`, and also at an `I-X` that follows `O` or a tag of another type (so IOB1-style `I-` openings and
    /// ill-formed sequences still count as entities, as in `conlleval`); it continues over `I-X` of the same
    /// type and ends before `O`, any `B-`, or a change of type. seqeval's strict mode (which drops such
    /// openings) is not implemented. Throws `.invalidTag` on any other tag (seqeval only warns and then reads
    /// the tag's first character as its prefix, which silently miscounts).
    public static func parse(_ tags: [String], sequence: Int? = nil) throws -> [EntitySpan] {
        var spans: [EntitySpan] = []
        var open: (type: Substring, start: Int)? = nil
        for (i, tag) in tags.enumerated() {
            let prefix: Character, type: Substring
            if tag == "O" {
                prefix = "O"
                type = ""
            } else if tag.count > 2, let first = tag.first, first == "B" || first == "I",
                tag[tag.index(after: tag.startIndex)] == "-"
            {
                prefix = first
                type = tag.dropFirst(2)
            } else {
                let shown = tag.count > 40 ? String(tag.prefix(40)) + "…" : tag
                throw MetricsError(
                    .invalidTag, "tag \(String(reflecting: shown)) at token \(i) is not O, B-TYPE or I-TYPE",
                    row: sequence)
            }
            if let current = open, prefix != "I" || type != current.type {
                spans.append(EntitySpan(type: String(current.type), start: current.start, end: i - 1))
                open = nil
            }
            if prefix != "O", open == nil { open = (type, i) }
        }
        if let current = open {
            spans.append(EntitySpan(type: String(current.type), start: current.start, end: tags.count - 1))
        }
        return spans
    }
}
