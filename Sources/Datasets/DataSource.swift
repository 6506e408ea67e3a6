/// A named input of a pipeline (`data: spam: { path: data/spam/*.jsonl, format: jsonl, text: text, label: label }`):
/// a file or glob, a format and a field mapping. Reads every matching file in sorted order.
public struct DataSource: Hashable, Sendable {
    public enum Format: Hashable, Sendable {
        case jsonl
        case delimited(CSVDialect)
        case text(TextReader.Unit)

        public static let csv = Format.delimited(.csv)
        public static let tsv = Format.delimited(.tsv)
    }

    /// A path or glob; relative ones are resolved against `directory`.
    public var path: String
    public var format: Format
    public var mapping: FieldMapping
    public var directory: String

    public init(path: String, format: Format, mapping: FieldMapping = FieldMapping(), directory: String = ".") {
        self.path = path
        self.format = format
        self.mapping = mapping
        self.directory = directory
    }

    /// The files this source reads, in reading order, as shown in locations (the pattern's form).
    public func files() throws -> [String] {
        if FileGlob.hasWildcards(path) { return try FileGlob.expand(path, relativeTo: directory) }
        return [path]
    }

    /// Streams every good record of every file to `body`; bad rows are handled per `policy` (a skip limit
    /// applies per file).
    @discardableResult
    public func read(policy: BadRowPolicy, _ body: (Record) throws -> Void) throws -> ReadSummary {
        var summary = ReadSummary()
        for file in try files() {
            let fullPath = file.hasPrefix("/") ? file : (directory == "." ? file : directory + "/" + file)
            let one: ReadSummary
            switch format {
            case .jsonl:
                one = try JSONLReader(mapping: mapping).read(path: fullPath, displayName: file, policy: policy, body)
            case .delimited(let dialect):
                one = try CSVReader(mapping: mapping, dialect: dialect)
                    .read(path: fullPath, displayName: file, policy: policy, body)
            case .text(let unit):
                one = try TextReader(unit: unit).read(path: fullPath, displayName: file, policy: policy, body)
            }
            summary.merge(one)
        }
        return summary
    }

    /// All good records, in reading order, with the summary.
    public func readAll(policy: BadRowPolicy) throws -> (records: [Record], summary: ReadSummary) {
        var records: [Record] = []
        let summary = try read(policy: policy) { records.append($0) }
        return (records, summary)
    }
}
