import Foundation
import Testing
@testable import Models
@testable import Tokenizers

/// SmolLM2's tokenizer built from its GGUF metadata against HF `tokenizers` with the model's tokenizer on every
/// golden line (Tests/TokenizersTests/Fixtures/golden-lines.jsonl), and the chat template against transformers'
/// `apply_chat_template` (fixtures from scripts/golden/gguf/generate.sh).
@Suite struct GGUFTokenizerTests {
    struct Row {
        var index: Int
        var ids: [Int]
        var decoded: String
        var stockIds: [Int]?
    }

    static func numbers(_ s: String) -> [Int] { s.split(separator: " ").compactMap { Int($0) } }

    /// The golden inputs (shared with the Tokenizers tests) and the SmolLM2 references. The inputs are parsed with
    /// the Tokenizers JSON parser: Foundation's JSONSerialization on Linux drops U+FEFF inside strings.
    static func goldens() throws -> (inputs: [String], rows: [Row], header: [String: Any]) {
        let linesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TokenizersTests/Fixtures/golden-lines.jsonl")
        func headerLine(_ url: URL) throws -> [[String: Any]] {
            try String(decoding: Data(contentsOf: url), as: UTF8.self).split(separator: "\n").prefix(1).map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        let inputs = try String(decoding: Data(contentsOf: linesURL), as: UTF8.self).split(separator: "\n").dropFirst()
            .map { try JSONNode.parse(Data($0.utf8))["text"].string() }
        let header = try #require(try headerLine(try ggufFixture("smollm2-tokenizer.jsonl")).first)
        #expect((header["generated_by"] as? String)?.contains("generate.sh") == true)
        let rows = try String(decoding: Data(contentsOf: try ggufFixture("smollm2-tokenizer.jsonl")), as: UTF8.self)
            .split(separator: "\n").dropFirst().map { line in
                let l = try JSONNode.parse(Data(line.utf8))
                return Row(
                    index: try l["i"].int(), ids: numbers(try l["ids"].string()), decoded: try l["decoded"].string(),
                    stockIds: l.has("stock_ids") ? numbers(try l["stock_ids"].string()) : nil)
            }
        return (inputs, rows, header)
    }

    @Test func encodesTheGoldenLinesLikeHF() throws {
        guard let path = smolLM2Path() else { return }
        let spec = try GGUFTokenizer(gguf: try GGUFFile(path: path))
        #expect(spec.preTokenizerName == "smollm")
        #expect(spec.tokens.count == 49152 && spec.merges.count == 48900)
        #expect(spec.bosTokenId == 1 && spec.eosTokenId == 2 && spec.padTokenId == 2)
        #expect(!spec.addBosToken && !spec.addEosToken)
        let tok = try spec.tokenizer()
        #expect(tok.addedTokens.count == 17 && tok.addedTokens.allSatisfy(\.special))
        let (inputs, rows, _) = try Self.goldens()
        #expect(rows.count == inputs.count && rows.count > 1500)
        var mismatches = 0
        for r in rows {
            let e = try tok.encode(inputs[r.index])
            let decoded = tok.decode(e.ids, skipSpecialTokens: false)
            if e.ids != r.ids || decoded != r.decoded {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("line \(r.index): ids \(e.ids) != HF \(r.ids) or decoded \(decoded.debugDescription) != \(r.decoded.debugDescription)")
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(rows.count) lines differ from HF")
    }

    /// With the plain GPT-2 split (`tokenizer.ggml.pre = gpt2`) the same vocabulary encodes as transformers' own
    /// GGUF loader does (it gives `smollm` that split): equal on the lines where the two splits disagree.
    @Test func theGPT2SplitMatchesTransformersStockLoader() throws {
        guard let path = smolLM2Path() else { return }
        var spec = try GGUFTokenizer(gguf: try GGUFFile(path: path))
        spec.preTokenizerName = "gpt2"
        let tok = try spec.tokenizer()
        let (inputs, rows, header) = try Self.goldens()
        let differing = rows.filter { $0.stockIds != nil }
        #expect(differing.count == header["transformers_stock_pretokenizer_differs_on"] as? Int)
        #expect(differing.count > 0)
        for r in differing {
            #expect(try tok.encode(inputs[r.index]).ids == r.stockIds, "line \(r.index)")
        }
    }

    @Test func chatTemplateMatchesTransformers() throws {
        guard let path = smolLM2Path() else { return }
        let file = try GGUFFile(path: path)
        let template = try ChatMLTemplate(gguf: file)
        #expect(template.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(template.jinja == (try file.string("tokenizer.chat_template")))
        let tok = try GGUFTokenizer(gguf: file).tokenizer()
        let (_, _, header) = try Self.goldens()
        let chats = try #require(header["chats"] as? [[String: Any]])
        #expect(chats.count == 6)
        for chat in chats {
            let messages = try #require(chat["messages"] as? [[String: String]]).map {
                ChatMLTemplate.Message(role: $0["role"] ?? "", content: $0["content"] ?? "")
            }
            let text = template.apply(messages, addGenerationPrompt: try #require(chat["add_generation_prompt"] as? Bool))
            #expect(text == chat["text"] as? String)
            #expect(try tok.encode(text).ids == Self.numbers(try #require(chat["ids"] as? String)))
        }
    }

    @Test func otherTemplatesAreRefused() throws {
        let plain = ChatMLTemplate()
        #expect(try ChatMLTemplate(jinja: plain.jinja) == plain)
        #expect(plain.apply([.init(role: "user", content: "hi")], addGenerationPrompt: true)
            == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        for bad in ["", "{{ bos_token }}" + plain.jinja, plain.jinja.replacingOccurrences(of: "assistant", with: "bot")] {
            let e = try #require(throws: GGUFError.self) { try ChatMLTemplate(jinja: bad) }
            #expect(e.code == .unsupported)
        }
    }

    /// The written `tokenizer.json` loads back (ours) and encodes the same.
    @Test func writesATokenizerJSON() throws {
        guard let path = smolLM2Path() else { return }
        let spec = try GGUFTokenizer(gguf: try GGUFFile(path: path))
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gguf-tok-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try spec.writeJSON(to: url)
        let back = try Tokenizer(contentsOf: url)
        let text = "<|im_start|>user\nIt costs ½ of 1234 €, naïve café 🙂<|im_end|>"
        #expect(try back.encode(text).ids == spec.tokenizer().encode(text).ids)
        #expect(try back.encode(text).ids.first == 1)
    }
}
