/// A problem with a report: where in `report.json` (a path such as `tasks[1].confusion.counts[2]`) and what.
public struct ReportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, when the report was read from one.
    public var file: String?
    /// The JSON path of the offending value (empty for the document itself).
    public var path: String
    public var message: String

    public init(file: String? = nil, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        let location = [file, path.isEmpty ? nil : path].compactMap { $0 }.joined(separator: ": ")
        return location.isEmpty ? "error: \(message)" : "\(location): error: \(message)"
    }
}
