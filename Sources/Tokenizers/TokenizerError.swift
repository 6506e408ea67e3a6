/// An error raised while loading, configuring or running a tokenizer.
///
/// Loading errors carry the JSON path of the offending value, e.g.
/// `pre_tokenizer.pretokenizers[1].type: unsupported "Metaspace"`.
public struct TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        /// The file is not valid JSON, or a value has the wrong JSON type.
        case malformed
        /// A component `type` (or an option value) this library does not implement.
        case unsupported
        /// A required key is absent.
        case missing
        /// A value is present and well-typed but not acceptable (unknown token, bad regex...).
        case invalid
        /// Reading or writing a file failed.
        case io
    }

    public var code: Code
    /// JSON path of the value at fault (`""` for the document or for non-JSON errors).
    public var path: String
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}
