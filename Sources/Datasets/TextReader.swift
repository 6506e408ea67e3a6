/// Reads plain UTF-8 text files as records without labels.
///
/// The corpora made by `scripts/fetch-assets` hold one paragraph per line and an empty line between documents:
/// read them `.byLine` for paragraphs or `.byParagraph` for documents. Streams the file; `.wholeFile` holds one
/// file in memory.
public struct TextReader: Sendable {
    /// What one record is.
    public enum Unit: String, Hashable, Sendable {
        /// Each line that is not blank.
        case byLine = "line"
        /// Each run of non-blank lines (joined with "\n"), separated by blank lines.
        case byParagraph = "paragraph"
        /// The whole file (if not blank).
        case wholeFile = "file"
    }

    public var unit: Unit

    public init(unit: Unit = .byLine) { self.unit = unit }

    /// Reads `path` (named `displayName` in errors and locations), calling `body` for every record; a record's
    /// location is its first line. Invalid UTF-8 is a bad row (a line) under `policy`.
    @discardableResult
    public func read(
        path: String, displayName: String? = nil, policy: BadRowPolicy, _ body: (Record) throws -> Void
    ) throws -> ReadSummary {
        let name = displayName ?? path
        var lines = LineReader(try ChunkedFile(path: path, displayName: name))
        var handler = BadRowHandler(policy: policy)
        handler.summary.files = 1
        var block: [String] = []
        var blockLine = 0

        func flush() throws {
            guard !block.isEmpty else { return }
            try body(Record(text: block.joined(separator: "\n"), location: SourceLocation(file: name, line: blockLine)))
            handler.summary.records += 1
            block.removeAll(keepingCapacity: true)
        }

        while let (number, bytes) = try lines.next() {
            let line: String
            do {
                line = try decodeUTF8(bytes, file: name, line: number)
            } catch let error as DatasetError {
                try handler.bad(error)
                continue
            }
            let blank = line.allSatisfy(\.isWhitespace)
            switch unit {
            case .byLine:
                if !blank {
                    try body(Record(text: line, location: SourceLocation(file: name, line: number)))
                    handler.summary.records += 1
                }
            case .byParagraph:
                if blank {
                    try flush()
                } else {
                    if block.isEmpty { blockLine = number }
                    block.append(line)
                }
            case .wholeFile:
                if block.isEmpty { blockLine = number }
                block.append(line)
            }
        }
        if unit == .wholeFile, block.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { block.removeAll() }
        try flush()
        return handler.summary
    }
}
