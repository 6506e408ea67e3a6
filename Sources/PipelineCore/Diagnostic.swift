/// A position in a user's file: 1-based line and column (columns count Unicode scalars, as libyaml does).
public struct SourceLocation: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: Self, b: Self) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// One problem found in a user's input, with where it is and, when we know, what to do about it.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public var hint: String?
    /// What kind of problem, where a caller acts on it (`nil` for most).
    public var code: Code?

    public enum Code: String, Hashable, Sendable, Codable {
        /// A file or folder the pipeline names does not exist (yet): the daemon validates the file again
        /// later, so data that arrives after its pipeline is picked up.
        case missingFile
    }

    public init(_ location: SourceLocation, _ message: String, hint: String? = nil, code: Code? = nil) {
        self.location = location
        self.message = message
        self.hint = hint
        self.code = code
    }

    /// `file:line:column: error: message` — the form editors and compilers use, so locations are clickable.
    public var description: String {
        "\(location): error: \(message)" + (hint.map { "\n  hint: \($0)" } ?? "")
    }
}

/// A pipeline file that cannot be run, with every problem found in it.
public struct PipelineInvalid: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics.sorted { $0.location < $1.location } }
    /// Whether every problem is a missing file: the same text may validate once the files exist.
    public var onlyMissingFiles: Bool { !diagnostics.isEmpty && diagnostics.allSatisfy { $0.code == .missingFile } }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A failure of the engine that is not about the pipeline file (I/O, a broken cache entry, a plugin that
/// cannot be started), with what to do about it.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}
