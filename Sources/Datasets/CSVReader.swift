import Foundation

/// Reads CSV or TSV files (see `CSVDialect`) with field mapping by header name or 1-based column number.
/// Streams the file row by row.
public struct CSVReader: Sendable {
    public var mapping: FieldMapping
    public var dialect: CSVDialect

    public init(mapping: FieldMapping, dialect: CSVDialect = .csv) {
        self.mapping = mapping
        self.dialect = dialect
    }

    /// Reads `path` (named `displayName` in errors and locations), calling `body` for every good row.
    /// A mapping that names a column the header lacks is an error whatever the policy.
    @discardableResult
    public func read(
        path: String, displayName: String? = nil, policy: BadRowPolicy, _ body: (Record) throws -> Void
    ) throws -> ReadSummary {
        let name = displayName ?? path
        var parser = CSVParser(try ChunkedFile(path: path, displayName: name), dialect: dialect)
        var handler = BadRowHandler(policy: policy)
        handler.summary.files = 1
        var columns: Columns?
        var expectedCount: Int?
        while let row = try parser.next() {
            let fields: [String], line: Int
            switch row {
            case .bad(let error):
                try handler.bad(error)
                continue
            case .fields(let f, let l):
                (fields, line) = (f, l)
            }
            if columns == nil {
                if dialect.hasHeader {
                    columns = try Columns(mapping: mapping, header: fields, file: name, line: line)
                    expectedCount = fields.count
                    continue
                }
                columns = try Columns(mapping: mapping, header: nil, file: name, line: line)
            }
            let record: Record
            do {
                if let expectedCount, fields.count != expectedCount {
                    throw DatasetError(
                        .columnCount, file: name, line: line,
                        message: "expected \(expectedCount) columns (as in the header), found \(fields.count)",
                        hint: dialect.quote == nil
                            ? "this dialect has no quoting: a field cannot contain the delimiter"
                            : "quote fields that contain the delimiter")
                }
                record = try columns!.record(fields, file: name, line: line)
            } catch let error as DatasetError {
                try handler.bad(error)
                continue
            }
            // Errors from the consumer are not bad rows: they pass through.
            try body(record)
            handler.summary.records += 1
        }
        return handler.summary
    }
}

/// Column positions of the mapped fields.
private struct Columns {
    let mapping: FieldMapping
    let text: Int, pair: Int?, label: Int?, id: Int?

    init(mapping: FieldMapping, header: [String]?, file: String, line: Int) throws {
        self.mapping = mapping
        func position(_ name: String) throws -> Int {
            if let header {
                if let i = header.firstIndex(of: name) { return i }
                throw DatasetError(
                    .missingField, file: file, line: line,
                    message: "the header has no column '\(name)'",
                    hint: "columns are: \(header.map { "'\($0)'" }.joined(separator: ", "))")
            }
            guard let n = Int(name), n >= 1 else {
                throw DatasetError(
                    .invalidArgument, file: file,
                    message: "field '\(name)' must be a 1-based column number: the file has no header row")
            }
            return n - 1
        }
        text = try position(mapping.text)
        pair = try mapping.pair.map(position)
        label = try mapping.label.map(position)
        id = try mapping.id.map(position)
    }

    func record(_ fields: [String], file: String, line: Int) throws -> Record {
        func value(_ i: Int, _ name: String, role: String) throws -> String {
            guard i < fields.count else {
                throw DatasetError(
                    .columnCount, file: file, line: line,
                    message: "\(role) column \(name) is missing: the row has \(fields.count) column(s)")
            }
            return fields[i]
        }
        func text(_ i: Int, _ name: String, role: String) throws -> String {
            let s = try value(i, name, role: role)
            if s.isEmpty {
                throw DatasetError(.emptyText, file: file, line: line, message: "\(role) column '\(name)' is empty")
            }
            return s
        }
        var record = Record(
            text: try text(self.text, mapping.text, role: "text"), location: SourceLocation(file: file, line: line))
        if let pair, let name = mapping.pair { record.pair = try text(pair, name, role: "pair") }
        if let label, let name = mapping.label {
            let s = try value(label, name, role: "label")
            if mapping.labelType == .number {
                guard let x = Double(s.trimmingCharacters(in: .whitespaces)), x.isFinite else {
                    throw DatasetError(
                        .wrongType, file: file, line: line,
                        message: "label column '\(name)' must be a number, found '\(s.prefix(40))'")
                }
                record.label = .number(x)
            } else {
                if s.isEmpty {
                    throw DatasetError(
                        .missingField, file: file, line: line, message: "label column '\(name)' is empty")
                }
                record.label = .string(s)
            }
        }
        if let id, let name = mapping.id { record.id = try text(id, name, role: "id") }
        return record
    }
}
