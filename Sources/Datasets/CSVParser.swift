/// A streaming RFC 4180 parser: splits a file into rows of fields.
///
/// Accepts LF and CRLF line ends, a UTF-8 byte order mark, quoted fields holding delimiters, doubled quotes and
/// line breaks, and (leniently, as Python's csv does) quotes inside unquoted fields. Rejects characters after a
/// closing quote and a quote left open at the end of the file. After a bad row it resumes at the next line.
/// Blank lines are skipped.
struct CSVParser {
    /// A row: its fields, and the line and column it starts at; or the error that spoiled it.
    enum Row {
        case fields([String], line: Int)
        case bad(DatasetError)
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterQuote }

    private var bytes: ByteReader
    private let dialect: CSVDialect
    private let file: String
    private var line = 1
    private var column = 0
    private var first = true

    init(_ file: ChunkedFile, dialect: CSVDialect) {
        self.bytes = ByteReader(file)
        self.dialect = dialect
        self.file = file.displayName
    }

    /// The next row, or nil at the end of the file.
    mutating func next() throws -> Row? {
        if first {
            first = false
            var bom: [UInt8] = []
            // Peek up to three bytes for a byte order mark; replay them otherwise.
            while bom.count < 3, let b = try bytes.next() {
                bom.append(b)
                if bom != Array(utf8BOM.prefix(bom.count)) { break }
            }
            if bom != utf8BOM { return try parseRow(replaying: bom) }
        }
        return try parseRow(replaying: [])
    }

    private mutating func parseRow(replaying pending: [UInt8]) throws -> Row? {
        var pending = pending[...]
        var fields: [String] = []
        var field: [UInt8] = []
        var state = State.fieldStart
        var rowLine = line
        var quoteLine = 0, quoteColumn = 0
        let delimiter = dialect.delimiter, quote = dialect.quote
        let newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

        func finishField() throws {
            if state == .unquoted || state == .fieldStart, field.last == cr { field.removeLast() }
            fields.append(try decodeUTF8(field, file: file, line: rowLine))
            field.removeAll(keepingCapacity: true)
        }

        while true {
            let next: UInt8?
            if let p = pending.popFirst() { next = p } else { next = try bytes.next() }
            guard let b = next else {
                switch state {
                case .quoted:
                    return .bad(
                        DatasetError(
                            .unterminatedQuote, file: file, line: quoteLine, column: quoteColumn,
                            message: "quoted field is not closed before the end of the file",
                            hint: "a quote inside a quoted field is written as two quotes (\"\")"))
                case .fieldStart where fields.isEmpty && field.isEmpty:
                    return nil
                default:
                    do { try finishField() } catch let e as DatasetError { return .bad(e) }
                    return .fields(fields, line: rowLine)
                }
            }
            column += 1
            switch state {
            case .fieldStart, .unquoted:
                if b == newline {
                    line += 1
                    column = 0
                    if fields.isEmpty && (field.isEmpty || field == [cr]) {
                        field.removeAll()
                        rowLine = line
                        continue  // blank line
                    }
                    do { try finishField() } catch let e as DatasetError { return .bad(e) }
                    return .fields(fields, line: rowLine)
                } else if b == delimiter {
                    do { try finishField() } catch let e as DatasetError { return skipLine(e) }
                    state = .fieldStart
                } else if b == quote, state == .fieldStart, field.isEmpty {
                    state = .quoted
                    quoteLine = line
                    quoteColumn = column
                } else {
                    field.append(b)
                    state = .unquoted
                }
            case .quoted:
                if b == quote {
                    state = .quoteInQuoted
                } else {
                    if b == newline {
                        line += 1
                        column = 0
                    }
                    field.append(b)
                }
            case .quoteInQuoted, .afterQuote:
                if b == quote, state == .quoteInQuoted {
                    field.append(b)
                    state = .quoted
                } else if b == delimiter {
                    do { try finishField() } catch let e as DatasetError { return skipLine(e) }
                    state = .fieldStart
                } else if b == newline {
                    line += 1
                    column = 0
                    do { try finishField() } catch let e as DatasetError { return .bad(e) }
                    return .fields(fields, line: rowLine)
                } else if b == cr {
                    state = .afterQuote
                } else {
                    let error = DatasetError(
                        .strayQuote, file: file, line: line, column: column,
                        message: "unexpected character after the closing quote of a field",
                        hint: "quote the whole field and double the quotes inside it (\"a \"\"b\"\" c\")")
                    return skipLine(error)
                }
            }
        }
    }

    /// Drops the rest of the current physical line and reports `error` for the row.
    private mutating func skipLine(_ error: DatasetError) -> Row {
        while let b = try? bytes.next() {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 0
                break
            }
        }
        return .bad(error)
    }
}
