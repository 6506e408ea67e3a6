/// Which fields of a row hold the text, the optional second text, the optional label and the optional row id, as
/// the pipeline file's `data:` entry names them (`text: text, pair: hypothesis, label: coarse, id: qid`).
///
/// For JSONL the names are object keys; a dotted name (`meta.label`) reaches into nested objects. For CSV/TSV
/// they are header names, or 1-based column numbers (`"2"`) when the file has no header row.
public struct FieldMapping: Hashable, Sendable {
    /// How a label field is read.
    public enum LabelType: String, Hashable, Sendable {
        /// Strings, or JSON numbers (kept as numbers). CSV fields are strings.
        case any
        /// Must be a string (JSON numbers are rejected as the wrong type).
        case string
        /// Must be a number (JSON number, or a CSV field that parses as one) — for regression targets.
        case number
    }

    public var text: String
    public var pair: String?
    public var label: String?
    public var labelType: LabelType
    /// The field that identifies a row (a string, or a number kept in its canonical text), for reports per example.
    public var id: String?

    public init(
        text: String = "text", pair: String? = nil, label: String? = nil, labelType: LabelType = .any,
        id: String? = nil
    ) {
        self.text = text
        self.pair = pair
        self.label = label
        self.labelType = labelType
        self.id = id
    }
}
