/// An error in a data file or in how it is read, located as precisely as is known.
///
/// `description` reads `file:line:column: error: message` followed by the hint, the form editors and the
/// journal understand.
public struct DatasetError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that branch on it (the message carries the details).
    public enum Kind: String, Sendable {
        case fileNotFound, unreadable, noMatch, invalidEncoding, invalidJSON, notAnObject, missingField,
            wrongType, emptyText, columnCount, unterminatedQuote, strayQuote, invalidArgument, tooManyBadRows
    }

    public var kind: Kind
    /// The file the error is in (as given, or as expanded from a glob).
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column in bytes (UTF-8) on `line`, when known.
    public var column: Int?
    public var message: String
    /// What to do about it.
    public var hint: String?

    public init(
        _ kind: Kind, file: String, line: Int? = nil, column: Int? = nil, message: String, hint: String? = nil
    ) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    /// `file:line:column` with the parts that are known.
    public var location: String {
        var s = file
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        }
        return s
    }

    public var description: String {
        var s = "\(location): error: \(message)"
        if let hint { s += " (hint: \(hint))" }
        return s
    }
}
