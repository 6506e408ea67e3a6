import Foundation

/// Decodes an HF `config.json`, turning I/O and decoding failures into a located ``ModelError``.
func decodeConfig<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
    let data: Data
    guard let bytes = try ModelFile.read(url.path, maxBytes: ModelFile.configLimit) else {
        throw ModelError(.io, "cannot read: no such file", path: url.path)
    }
    data = bytes
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as ModelError {
        throw ModelError(error.code, error.message, path: url.path)
    } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.dataCorrupted(ctx),
        let DecodingError.valueNotFound(_, ctx)
    {
        let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        throw ModelError(.invalidConfig, "\(key.isEmpty ? "" : "'\(key)': ")\(ctx.debugDescription)", path: url.path)
    } catch {
        throw ModelError(.invalidConfig, "\(error)", path: url.path)
    }
}
