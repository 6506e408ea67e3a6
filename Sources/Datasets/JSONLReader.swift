import Foundation

/// Reads JSON Lines: one JSON object per line; blank lines are ignored. Streams the file line by line.
public struct JSONLReader: Sendable {
    public var mapping: FieldMapping

    public init(mapping: FieldMapping) { self.mapping = mapping }

    /// Reads `path` (named `displayName` in errors and locations), calling `body` for every good row.
    @discardableResult
    public func read(
        path: String, displayName: String? = nil, policy: BadRowPolicy, _ body: (Record) throws -> Void
    ) throws -> ReadSummary {
        let name = displayName ?? path
        var lines = LineReader(try ChunkedFile(path: path, displayName: name))
        var handler = BadRowHandler(policy: policy)
        handler.summary.files = 1
        while let (number, bytes) = try lines.next() {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let record: Record
            do {
                record = try parse(bytes, file: name, line: number)
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

    func parse(_ bytes: ArraySlice<UInt8>, file: String, line: Int) throws -> Record {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            let (detail, column) = jsonSyntaxDetail(bytes)
            throw DatasetError(
                .invalidJSON, file: file, line: line, column: column, message: "invalid JSON: \(detail)",
                hint: "each line must be one complete JSON object")
        }
        guard case .object = value else {
            throw DatasetError(
                .notAnObject, file: file, line: line, column: 1,
                message: "expected a JSON object, found \(value.typeName)")
        }
        func field(_ key: String, role: String) throws -> JSONValue {
            guard let v = value.member(key), v != .null else {
                throw DatasetError(
                    .missingField, file: file, line: line,
                    message: "missing \(role) field '\(key)'", hint: "field names are set in the pipeline's data entry")
            }
            return v
        }
        func text(_ key: String, role: String) throws -> String {
            let v = try field(key, role: role)
            guard case .string(let s) = v else {
                throw DatasetError(
                    .wrongType, file: file, line: line,
                    message: "\(role) field '\(key)' must be a string, found \(v.typeName)")
            }
            if s.isEmpty {
                throw DatasetError(.emptyText, file: file, line: line, message: "\(role) field '\(key)' is empty")
            }
            return s
        }
        var record = Record(
            text: try text(mapping.text, role: "text"), location: SourceLocation(file: file, line: line))
        if let pair = mapping.pair { record.pair = try text(pair, role: "pair") }
        if let key = mapping.label {
            let v = try field(key, role: "label")
            switch (v, mapping.labelType) {
            case (.string(let s), .any), (.string(let s), .string): record.label = .string(s)
            case (.number(let x), .any), (.number(let x), .number): record.label = .number(x)
            default:
                let expected = ["any": "a string or a number", "string": "a string", "number": "a number"]
                throw DatasetError(
                    .wrongType, file: file, line: line,
                    message:
                        "label field '\(key)' must be \(expected[mapping.labelType.rawValue]!), found \(v.typeName)")
            }
        }
        if let key = mapping.id {
            switch try field(key, role: "id") {
            case .string(let s) where !s.isEmpty: record.id = s
            case .number(let x): record.id = Label.number(x).key
            case let v:
                throw DatasetError(
                    .wrongType, file: file, line: line,
                    message: "id field '\(key)' must be a non-empty string or a number, found \(v.typeName)")
            }
        }
        return record
    }
}

/// Why `bytes` is not JSON, and the 1-based column, as far as Foundation says: JSONDecoder on Linux only says
/// "not valid JSON", JSONSerialization says "Invalid value around character 23." (a 0-based byte offset).
func jsonSyntaxDetail(_ bytes: ArraySlice<UInt8>) -> (String, Int?) {
    do {
        _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        return ("not a JSON value", nil)
    } catch {
        let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "not a JSON value"
        guard let range = detail.range(of: "character ") else { return (detail, nil) }
        let offset = Int(detail[range.upperBound...].prefix { $0.isNumber })
        return (detail, offset.map { $0 + 1 })
    }
}
