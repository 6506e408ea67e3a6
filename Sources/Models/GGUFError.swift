/// An error reading a GGUF file: what is wrong, where (the byte offset in the file, when there is one) and in
/// which file.
///
/// A truncated or hostile file always ends in one of these, never in a trap: every count, length and offset the
/// file states is checked against the bytes that are really there before anything is read or allocated.
public struct GGUFError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        /// The file could not be opened, stat'ed or mapped.
        case io
        /// The file ends before a value it announces (a count, a string, a tensor's data).
        case truncated
        /// A value is present but not acceptable (bad magic, a length past a limit, overlapping tensors...).
        case malformed
        /// Well-formed, but something this reader does not implement (a version, a quantization, an architecture).
        case unsupported
        /// A metadata key or tensor that the caller needs is absent, or has another type.
        case missing
    }

    public var code: Code
    /// Byte offset in the file of the value at fault (nil when the error is about the file as a whole).
    public var offset: Int?
    public var message: String
    public var path: String

    public init(_ code: Code, at offset: Int?, _ message: String, path: String) {
        self.code = code
        self.offset = offset
        self.message = message
        self.path = path
    }

    public var description: String {
        "\(path): " + (offset.map { "byte \($0): " } ?? "") + message
    }
}
