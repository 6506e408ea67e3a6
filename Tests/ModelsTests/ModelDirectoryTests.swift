import Foundation
import Testing

@testable import Models

@Suite struct ModelDirectoryTests {
    @Test func gptLoadsFromAnHFFolderWithOrWithoutTheTransformerPrefix() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "gpt-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"vocab_size": 10, "n_positions": 4, "n_embd": 8, "n_layer": 1, "n_head": 2}"#.utf8)
            .write(to: dir.appendingPathComponent("config.json"))
        let config = try GPTConfig(contentsOf: dir.appendingPathComponent("config.json"))
        let model = GPTModel(config: config, seed: 5)
        let weights = dir.appendingPathComponent("model.safetensors").path
        for prefix in ["", "transformer."] {
            let named = model.namedParameters.map {
                (prefix + String($0.name.dropFirst("transformer.".count)), $0.tensor)
            }
            try SafeTensorsFile.write(named, to: weights)
            let loaded = try GPTModel(directory: dir)
            #expect(loaded.parameters.map(\.scalars) == model.parameters.map(\.scalars))
        }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: weights))
        #expect(throws: ModelError.self) { try GPTModel(directory: dir) }
    }
}
