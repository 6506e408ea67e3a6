/// Where a record came from: the file and the 1-based line its row starts on.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// A label as found in the data: a string or a number (JSON numbers, or CSV fields when the mapping asks for
/// numeric labels).
public enum Label: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case number(Double)

    /// The canonical text of the label, used for label vocabularies and stratification: strings as they are,
    /// integral numbers without a fraction (`3`, not `3.0`), other numbers in Swift's shortest round-trip form.
    public var key: String {
        switch self {
        case .string(let s): return s
        case .number(let x):
            if x.rounded() == x, abs(x) < 1e15 { return String(Int64(x)) }
            return String(x)
        }
    }

    public var description: String { key }
}

/// One example: its text (and second text, for sentence-pair tasks), its label and id if the mapping names them,
/// and where it was read.
public struct Record: Hashable, Sendable {
    public var text: String
    public var pair: String?
    public var label: Label?
    /// The row's id (a string, or a number in its canonical text, as ``Label/key``).
    public var id: String?
    public var location: SourceLocation

    public init(
        text: String, pair: String? = nil, label: Label? = nil, id: String? = nil, location: SourceLocation
    ) {
        self.text = text
        self.pair = pair
        self.label = label
        self.id = id
        self.location = location
    }
}
