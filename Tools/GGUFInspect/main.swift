// gguf-inspect — a quick look at a GGUF file, and its tokenizer as a tokenizer.json.
//
//   gguf-inspect FILE.gguf                          header, metadata (arrays summarised), tensor types, Llama config
//   gguf-inspect FILE.gguf --tokenizer-json OUT     also write the tokenizer (tokenizer.ggml.*) as OUT
//   gguf-inspect FILE.gguf --export-hf DIR          also write the Llama model as an HF folder (config.json,
//                                                   model.safetensors float32, tokenizer.json)
//
// Exit status 1 with the located error (file: byte N: what) when the file is refused.
import Foundation
import Models

func run(_ args: [String]) throws {
    guard let path = args.first, !path.hasPrefix("-") else {
        throw GGUFError(.missing, at: nil, "usage: gguf-inspect FILE.gguf [--tokenizer-json OUT]", path: "gguf-inspect")
    }
    var tokenizerOut: String?
    var exportDirectory: String?
    var rest = args.dropFirst()
    while let a = rest.popFirst() {
        guard ["--tokenizer-json", "--export-hf"].contains(a), let out = rest.popFirst() else {
            throw GGUFError(.missing, at: nil, "unknown or incomplete argument '\(a)'", path: "gguf-inspect")
        }
        if a == "--tokenizer-json" { tokenizerOut = out } else { exportDirectory = out }
    }
    let file = try GGUFFile(path: path)
    print(
        "GGUF v\(file.version), \(file.keys.count) metadata keys, \(file.tensors.count) tensors, alignment \(file.alignment), data at byte \(file.dataOffset)"
    )
    for key in file.keys {
        guard let v = file.metadata[key] else { continue }
        let shown: String
        switch v {
        case .array(let t, let values): shown = "[\(values.count) × \(t)]"
        case .string(let s): shown = s.count > 80 ? String(s.prefix(77)).debugDescription + "…" : s.debugDescription
        default: shown = v.int.map { "\($0)" } ?? v.double.map { "\($0)" } ?? v.bool.map { "\($0)" } ?? "\(v)"
        }
        print("  \(key) = \(shown)")
    }
    var types: [String: Int] = [:]
    for t in file.tensors { types[t.type.name, default: 0] += 1 }
    print("tensor types: " + types.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    if (try? file.string("general.architecture")) == "llama" {
        do { print("config: \(try LlamaConfig(gguf: file))") } catch { print("no complete Llama config: \(error)") }
    }
    if let tokenizerOut {
        try GGUFTokenizer(gguf: file).writeJSON(to: URL(fileURLWithPath: tokenizerOut))
        print("tokenizer written to \(tokenizerOut)")
    }
    if let exportDirectory {
        let dir = URL(fileURLWithPath: exportDirectory)
        try LlamaModel(gguf: file).save(to: dir)
        try GGUFTokenizer(gguf: file).writeJSON(to: dir.appendingPathComponent("tokenizer.json"))
        print("HF LlamaForCausalLM folder written to \(exportDirectory)")
    }
}

do { try run(Array(CommandLine.arguments.dropFirst())) } catch {
    FileHandle.standardError.write(Data("gguf-inspect: \(error)\n".utf8))
    exit(1)
}
