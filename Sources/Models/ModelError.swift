/// An error loading or saving a model: what went wrong, and with which file or tensor.
public struct ModelError: Error, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case io
        case malformedFile
        case unsupportedDType
        case missingTensor
        case shapeMismatch
        case invalidConfig
        /// Token ids or sequence lengths a model cannot take.
        case invalidInput
    }

    public var code: Code
    public var message: String
    /// The file involved, if any.
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        (path.map { "\($0): " } ?? "") + message
    }
}
