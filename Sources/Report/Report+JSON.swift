import Foundation

extension Report {
    /// Largest `report.json` read: far above any real report (curves included), small enough to hold in memory.
    public static let maximumFileSize = 64 << 20

    /// The report as `report.json`: pretty-printed with sorted keys, so equal reports are equal bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Decodes and validates a report. Errors name the JSON path (and `file`, when given) of the bad value.
    public static func decode(_ data: Data, file: String? = nil) throws -> Report {
        guard data.count <= maximumFileSize else {
            throw ReportError(
                file: file, path: "", message: "\(data.count) bytes, more than the \(maximumFileSize >> 20) MiB limit")
        }
        let report: Report
        do {
            report = try JSONDecoder().decode(Report.self, from: data)
        } catch let error as DecodingError {
            throw ReportError(decoding: error, file: file)
        }
        do {
            try report.validate()
        } catch var e as ReportError {
            e.file = file
            throw e
        }
        return report
    }

    /// Reads `report.json` (at most `maximumFileSize` bytes).
    public static func read(contentsOf url: URL) throws -> Report {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw ReportError(file: url.path, path: "", message: "cannot open: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        return try decode(data, file: url.path)
    }
}

extension ReportError {
    /// Maps a decoding error to the JSON path it happened at.
    init(decoding error: DecodingError, file: String?) {
        func path(_ keys: [CodingKey]) -> String {
            var s = ""
            for k in keys {
                if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : ".\(k.stringValue)" }
            }
            return s
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(file: file, path: path(context.codingPath + [key]), message: "missing key")
        case .typeMismatch(let type, let context):
            self.init(file: file, path: path(context.codingPath), message: "expected \(Self.jsonName(type))")
        case .valueNotFound(let type, let context):
            self.init(
                file: file, path: path(context.codingPath), message: "expected \(Self.jsonName(type)), found null")
        case .dataCorrupted(let context):
            // An empty path means the bytes are not JSON; otherwise a value is (e.g. an unknown `kind`).
            let detail = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
            self.init(
                file: file, path: path(context.codingPath),
                message: context.codingPath.isEmpty ? "invalid JSON: \(detail)" : detail)
        @unknown default:
            self.init(file: file, path: "", message: "\(error)")
        }
    }

    static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
