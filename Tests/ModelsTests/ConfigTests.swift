import Foundation
import Testing

@testable import Models

@Suite struct ConfigTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        let url = URL(fileURLWithPath: NSTemporaryDirectory() + "config-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(json.utf8).write(to: url)
        return type == BertConfig.self ? try BertConfig(contentsOf: url) as! T : try GPTConfig(contentsOf: url) as! T
    }

    @Test func readsHFBertKeysAndDefaults() throws {
        let c = try decode(BertConfig.self, #"{"hidden_size": 384, "num_attention_heads": 12, "extra": [1]}"#)
        #expect(c.hiddenSize == 384 && c.numAttentionHeads == 12 && c.vocabSize == 30522 && c.hiddenAct == .gelu)
    }

    @Test func readsGPT2KeysAndInnerDefault() throws {
        let c = try decode(
            GPTConfig.self, #"{"n_embd": 64, "n_head": 4, "n_inner": null, "activation_function": "gelu_new"}"#)
        #expect(c.innerSize == 256 && c.activationFunction == .geluNew)
    }

    @Test func rejectsInconsistentOrMistypedConfigs() throws {
        #expect(throws: ModelError.self) {
            try decode(BertConfig.self, #"{"hidden_size": 10, "num_attention_heads": 3}"#)
        }
        #expect(throws: ModelError.self) { try decode(BertConfig.self, #"{"hidden_size": "big"}"#) }
        #expect(throws: ModelError.self) { try decode(BertConfig.self, #"{"hidden_act": "swish"}"#) }
        #expect(throws: ModelError.self) { try decode(GPTConfig.self, #"{"attn_pdrop": 1.5}"#) }
        #expect(throws: ModelError.self) { try decode(GPTConfig.self, "not json") }
    }
}
