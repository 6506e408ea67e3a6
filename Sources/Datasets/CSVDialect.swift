/// How a delimiter-separated file is written.
public struct CSVDialect: Hashable, Sendable {
    /// The field separator (one ASCII character).
    public var delimiter: UInt8
    /// The quote character, or nil for files without quoting (IANA text/tab-separated-values), where a `"`
    /// is an ordinary character.
    public var quote: UInt8?
    /// Whether the first row names the columns. Without a header, fields are named by 1-based column number.
    public var hasHeader: Bool

    public init(delimiter: UInt8, quote: UInt8? = UInt8(ascii: "\""), hasHeader: Bool = true) {
        self.delimiter = delimiter
        self.quote = quote
        self.hasHeader = hasHeader
    }

    /// RFC 4180: comma-separated, `"`-quoted fields (which may hold delimiters, `""` and newlines), header row.
    public static let csv = CSVDialect(delimiter: UInt8(ascii: ","))
    /// Tab-separated with a header row and no quoting: fields cannot hold tabs or newlines.
    public static let tsv = CSVDialect(delimiter: UInt8(ascii: "\t"), quote: nil)
}
