import Foundation

/// A model folder that holds a GGUF file instead of an HF checkpoint (`assets/SmolLM2-135M-Instruct/`): how the
/// stages find the file, and the `tokenizer.json` bytes its metadata defines (the same bytes every stage derives,
/// so their SHA-256 identifies the tokenizer as an HF folder's `tokenizer.json` does).
public enum GGUFFolder {
    /// The folder's one `*.gguf` file when it has no `config.json`; nil when it has a `config.json` or no GGUF
    /// file. Throws when it has several (which one is meant is not ours to guess).
    public static func modelFile(in directory: String) throws -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory + "/config.json") { return nil }
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return nil }
        let ggufs = names.filter { $0.hasSuffix(".gguf") }.sorted()
        guard ggufs.count <= 1 else {
            throw ModelError(
                .invalidConfig, "the folder holds \(ggufs.count) GGUF files (\(ggufs.prefix(4).joined(separator: ", "))); "
                    + "keep one per model folder", path: directory)
        }
        return ggufs.first.map { directory + "/" + $0 }
    }

    /// The `tokenizer.json` (HF format, keys sorted) built from the GGUF's `tokenizer.ggml.*` metadata.
    public static func tokenizerJSON(ofFile path: String) throws -> Data {
        try GGUFTokenizer(gguf: try GGUFFile(path: path)).jsonData()
    }
}
