import BoundedIO
import Foundation

/// The caps of the small files beside a model's weights and the capped read of them: a file a user controls is
/// never read whole before its size is known (a multi-GB or endless `config.json` would exhaust memory first).
public enum ModelFile {
    /// `config.json`, `adapter_config.json`, `multitask.json`, a tokenize `index.json`: JSON of a few KB.
    public static let configLimit = 16 << 20
    /// `tokenizer.json` (a large vocabulary's runs to tens of MB).
    public static let tokenizerLimit = 256 << 20

    /// The bytes of `path`, or nil when there is no file there; throws a ``ModelError`` naming it when it is not a
    /// regular file, larger than `maxBytes` or unreadable.
    public static func read(_ path: String, maxBytes: Int) throws -> Data? {
        do { return try BoundedFile.contentsIfPresent(path, maxBytes: maxBytes) } catch {
            throw ModelError(.io, error.description, path: path)
        }
    }
}
