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
        let (inputs, rows, header) = try Self.goldens()
        #expect(rows.count == inputs.count && rows.count > 1500)
        // generate.sh had HF tokenizers load the tokenizer.json gguf-inspect wrote, and check every line.
        #expect(header["our_tokenizer_json_checked_by_hf_on"] as? Int == rows.count)
        var mismatches = 0
        for r in rows {
            let e = try tok.encode(inputs[r.index])
            let decoded = tok.decode(e.ids, skipSpecialTokens: false)
            if e.ids != r.ids || decoded != r.decoded {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record(
                        "line \(r.index): ids \(e.ids) != HF \(r.ids) or decoded \(decoded.debugDescription) != \(r.decoded.debugDescription)"
                    )
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
            let text = template.apply(
                messages, addGenerationPrompt: try #require(chat["add_generation_prompt"] as? Bool))
            #expect(text == chat["text"] as? String)
            #expect(try tok.encode(text).ids == Self.numbers(try #require(chat["ids"] as? String)))
        }
    }

    @Test func otherTemplatesAreRefused() throws {
        let plain = ChatMLTemplate()
        #expect(try ChatMLTemplate(jinja: plain.jinja) == plain)
        #expect(
            plain.apply([.init(role: "user", content: "hi")], addGenerationPrompt: true)
                == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        for bad in [
            "", "{{ bos_token }}" + plain.jinja, plain.jinja.replacingOccurrences(of: "assistant", with: "bot"),
        ] {
            let e = try #require(throws: GGUFError.self) { try ChatMLTemplate(jinja: bad) }
            #expect(e.code == .unsupported)
        }
    }

    /// The written `tokenizer.json` loads back (ours) and encodes the same.
    @Test func writesATokenizerJSON() throws {
        guard let path = smolLM2Path() else { return }
        let spec = try GGUFTokenizer(gguf: try GGUFFile(path: path))
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "gguf-tok-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try spec.writeJSON(to: url)
        let back = try Tokenizer(contentsOf: url)
        let text = "<|im_start|>user\nIt costs ½ of 1234 €, naïve café 🙂<|im_end|>"
        #expect(try back.encode(text).ids == spec.tokenizer().encode(text).ids)
        #expect(try back.encode(text).ids.first == 1)
    }
}

/// Tokenizer metadata that lies or is out of scope: each a located error naming the key.
@Suite struct GGUFTokenizerMetadataTests {
    enum Meta { case string(String), strings([String]), ints([Int32]), u32(UInt32), bool(Bool) }

    /// A GGUF with only the given metadata (no tensors); returns it with each key's offset.
    static func file(_ entries: [(String, Meta)]) throws -> (GGUFFile, [String: Int]) {
        var w = GGUFWriterBytes()
        w.bytes.append(contentsOf: Array("GGUF".utf8))
        w.u32(3); w.u64(0); w.u64(UInt64(entries.count))
        var at: [String: Int] = [:]
        for (key, value) in entries {
            at[key] = w.count
            w.string(key)
            switch value {
            case .string(let s): w.u32(8); w.string(s)
            case .strings(let a): w.u32(9); w.u32(8); w.u64(UInt64(a.count)); for s in a { w.string(s) }
            case .ints(let a): w.u32(9); w.u32(5); w.u64(UInt64(a.count)); for v in a { w.u32(UInt32(bitPattern: v)) }
            case .u32(let v): w.u32(4); w.u32(v)
            case .bool(let b): w.u32(7); w.u8(b ? 1 : 0)
            }
        }
        return (try GGUFFile(bytes: w.bytes, path: "tok.gguf"), at)
    }

    static let valid: [(String, Meta)] = [
        ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("smollm")),
        ("tokenizer.ggml.tokens", .strings(["<|end|>", "a", "b", "ab", "Ġ", "1", "2"])),
        ("tokenizer.ggml.token_type", .ints([3, 1, 1, 1, 1, 1, 1])),
        ("tokenizer.ggml.merges", .strings(["a b"])), ("tokenizer.ggml.eos_token_id", .u32(0)),
    ]

    static func replacing(_ key: String, _ value: Meta) -> [(String, Meta)] {
        valid.map { $0.0 == key ? (key, value) : $0 }
    }

    @Test func aSmallVocabularyWorks() throws {
        let tok = try GGUFTokenizer(gguf: try Self.file(Self.valid).0).tokenizer()
        #expect(try tok.encode("ab 12<|end|>").ids == [3, 4, 5, 6, 0])
    }

    @Test(
        arguments: [
            (
                "tokenizer.ggml.model", Meta.string("llama"), GGUFError.Code.unsupported,
                "tokenizer model 'llama' is not supported"
            ),
            ("tokenizer.ggml.pre", .string("qwen2"), .unsupported, "pre-tokenizer 'qwen2' is not supported"),
            ("tokenizer.ggml.tokens", .strings([]), .malformed, "no tokens"),
            ("tokenizer.ggml.tokens", .ints([1, 2]), .missing, "expected an array of strings"),
            ("tokenizer.ggml.token_type", .ints([3, 1]), .malformed, "2 token types for 7 tokens"),
            ("tokenizer.ggml.merges", .strings(["a b", "ab"]), .malformed, "merge 1 \"ab\" is not two tokens"),
            ("tokenizer.ggml.merges", .strings(["a  b"]), .malformed, "is not two tokens"),
            ("tokenizer.ggml.eos_token_id", .u32(7), .malformed, "token id 7 outside the 7 tokens"),
        ] as [(String, Meta, GGUFError.Code, String)])
    func rejects(_ c: (String, Meta, GGUFError.Code, String)) throws {
        let (file, at) = try Self.file(Self.replacing(c.0, c.1))
        let e = try #require(throws: GGUFError.self) { try GGUFTokenizer(gguf: file) }
        #expect(e.code == c.2, "\(e)")
        #expect(e.offset == at[c.0], "\(e)")
        #expect(e.message.contains(c.3), "\(e)")
    }

    @Test func aMergeOfUnknownTokensIsATokenizerError() throws {
        let (file, _) = try Self.file(Self.replacing("tokenizer.ggml.merges", .strings(["a c"])))
        let spec = try GGUFTokenizer(gguf: file)
        let e = try #require(throws: TokenizerError.self) { try spec.tokenizer() }
        #expect(e.message.contains("token \"c\" is not in the vocab"), "\(e)")
    }

    @Test func addBosNeedsABosToken() throws {
        let (file, at) = try Self.file(Self.valid + [("tokenizer.ggml.add_bos_token", .bool(true))])
        let e = try #require(throws: GGUFError.self) { try GGUFTokenizer(gguf: file) }
        #expect(e.offset == at["tokenizer.ggml.add_bos_token"] && e.message.contains("no bos_token_id"))
        let (ok, _) = try Self.file(
            Self.valid + [("tokenizer.ggml.add_bos_token", .bool(true)), ("tokenizer.ggml.bos_token_id", .u32(0))])
        #expect(try GGUFTokenizer(gguf: ok).tokenizer().encode("ab").ids == [0, 3])
    }
}
