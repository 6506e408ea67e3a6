import NN
import Tensor

extension Module {
    /// Copies every parameter from `file`, where parameter `n` is stored as `prefix + n`.
    ///
    /// Throws if a parameter is missing or its shape differs (listing all problems at once). Tensors in the file
    /// that are not parameters (e.g. `embeddings.position_ids`, another head) are ignored and returned.
    @discardableResult
    public func load(from file: SafeTensorsFile, prefix: String = "") throws -> [String] {
        try load(from: file) { prefix + $0 }
    }

    /// Copies every parameter from `file`, where parameter `n` is stored as `key(n)`; see ``load(from:prefix:)``.
    @discardableResult
    public func load(from file: SafeTensorsFile, key: (String) -> String) throws -> [String] {
        var problems: [String] = []
        var used = Set<String>()
        for (name, param) in namedParameters {
            let key = key(name)
            guard let entry = file.entries[key] else {
                problems.append("missing '\(key)'")
                continue
            }
            guard entry.shape == param.shape else {
                problems.append("'\(key)' has shape \(entry.shape), the model expects \(param.shape)")
                continue
            }
            let t = try file.tensor(key)
            param.pointer.update(from: t.pointer, count: t.count)
            used.insert(key)
        }
        if !problems.isEmpty {
            let missingOnly = problems.allSatisfy { $0.hasPrefix("missing") }
            throw ModelError(
                missingOnly ? .missingTensor : .shapeMismatch,
                problems.prefix(10).joined(separator: "; ")
                    + (problems.count > 10 ? "; and \(problems.count - 10) more" : ""),
                path: file.path)
        }
        return file.names.filter { !used.contains($0) }
    }

    /// Writes every parameter as `prefix + name` to a `.safetensors` file.
    public func save(to path: String, prefix: String = "", metadata: [String: String] = [:]) throws {
        try SafeTensorsFile.write(namedParameters.map { (prefix + $0.name, $0.tensor) }, metadata: metadata, to: path)
    }
}
