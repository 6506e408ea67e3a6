import Foundation
import Tokenizers

/// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata, as a Hugging Face `tokenizer.json`.
///
/// Only byte-level BPE (`tokenizer.ggml.model = gpt2`) is implemented. Its pieces follow llama.cpp and
/// transformers' GGUF converter:
/// - vocabulary: `tokens` by id, each spelled in GPT-2's byte alphabet (a token using other characters is
///   re-spelled from its UTF-8 bytes); merges from `merges` (`"a b"`, in rank order);
/// - added tokens: token type 3 (control) become special added tokens, type 4 (user-defined) plain added tokens;
/// - pre-tokenizer from `tokenizer.ggml.pre` (see ``preTokenizer(named:)``); ByteLevel decoder;
/// - a post-processor adding BOS/EOS only if `add_bos_token`/`add_eos_token` say so.
///
/// ``json`` is a complete `tokenizer.json` (HF `tokenizers` loads it); ``tokenizer()`` builds ours from it.
public struct GGUFTokenizer: Sendable {
    public var tokens: [String]
    public var tokenTypes: [Int]
    public var merges: [String]
    public var preTokenizerName: String
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var padTokenId: Int?
    public var unknownTokenId: Int?
    public var addBosToken: Bool
    public var addEosToken: Bool
    /// The Jinja chat template, if the file has one (see ``ChatMLTemplate``).
    public var chatTemplate: String?

    /// llama.cpp's token types (`llama_token_type`).
    public enum TokenType: Int { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }

    /// Reads and checks `tokenizer.ggml.*`: every id in range, one type per token, merges of two tokens.
    public init(gguf file: GGUFFile) throws {
        let model = try file.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw file.error(
                .unsupported, key: "tokenizer.ggml.model",
                "tokenizer model '\(model)' is not supported (only byte-level BPE, 'gpt2')")
        }
        tokens = try file.strings("tokenizer.ggml.tokens")
        guard !tokens.isEmpty else { throw file.error(.malformed, key: "tokenizer.ggml.tokens", "no tokens") }
        if file.metadata["tokenizer.ggml.token_type"] != nil {
            tokenTypes = try file.integers("tokenizer.ggml.token_type")
            guard tokenTypes.count == tokens.count else {
                throw file.error(
                    .malformed, key: "tokenizer.ggml.token_type",
                    "\(tokenTypes.count) token types for \(tokens.count) tokens")
            }
        } else {
            tokenTypes = Array(repeating: TokenType.normal.rawValue, count: tokens.count)
        }
        merges = try file.strings("tokenizer.ggml.merges")
        for (rank, m) in merges.enumerated() {
            let parts = m.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw file.error(
                    .malformed, key: "tokenizer.ggml.merges",
                    "merge \(rank) \"\(m)\" is not two tokens separated by a space")
            }
        }
        preTokenizerName =
            file.metadata["tokenizer.ggml.pre"] == nil ? "default" : try file.string("tokenizer.ggml.pre")
        guard Self.preTokenizer(named: preTokenizerName) != nil else {
            throw file.error(
                .unsupported, key: "tokenizer.ggml.pre",
                "pre-tokenizer '\(preTokenizerName)' is not supported (supported: \(Self.supportedPreTokenizers.joined(separator: ", ")))"
            )
        }
        let tokenCount = tokens.count
        func id(_ key: String) throws -> Int? {
            guard file.metadata["tokenizer.ggml." + key] != nil else { return nil }
            let v = try file.integer("tokenizer.ggml." + key)
            guard (0..<tokenCount).contains(v) else {
                throw file.error(
                    .malformed, key: "tokenizer.ggml." + key, "token id \(v) outside the \(tokenCount) tokens")
            }
            return v
        }
        bosTokenId = try id("bos_token_id")
        eosTokenId = try id("eos_token_id")
        padTokenId = try id("padding_token_id")
        unknownTokenId = try id("unknown_token_id")
        func flag(_ key: String) throws -> Bool {
            guard let v = file.metadata["tokenizer.ggml." + key] else { return false }
            guard let b = v.bool else {
                throw file.error(.malformed, key: "tokenizer.ggml." + key, "expected a bool, got \(v.summary)")
            }
            return b
        }
        addBosToken = try flag("add_bos_token")
        addEosToken = try flag("add_eos_token")
        if addBosToken && bosTokenId == nil {
            throw file.error(
                .malformed, key: "tokenizer.ggml.add_bos_token", "add_bos_token is set but there is no bos_token_id")
        }
        if addEosToken && eosTokenId == nil {
            throw file.error(
                .malformed, key: "tokenizer.ggml.add_eos_token", "add_eos_token is set but there is no eos_token_id")
        }
        chatTemplate =
            file.metadata["tokenizer.chat_template"] == nil ? nil : try file.string("tokenizer.chat_template")
    }

    /// `tokenizer.ggml.pre` values and the HF pre-tokenizer each stands for. llama.cpp splits `smollm` (and the
    /// StarCoder family) with `\p{N}` — each digit alone — before the GPT-2 regex, which is HF's
    /// `Digits(individual_digits)` then `ByteLevel`, the pre-tokenizer of SmolLM2's own `tokenizer.json`.
    /// (transformers' GGUF loader gives `smollm` the plain GPT-2 split instead; it differs on numerals such as
    /// "½" or "Ⅻ".) `gpt2`/`default` are the plain GPT-2 regex.
    public static func preTokenizer(named name: String) -> [String: Any]? {
        let byteLevel: [String: Any] = [
            "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true,
        ]
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            return ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true], byteLevel]]
        case "gpt2", "default":
            return byteLevel
        default:
            return nil
        }
    }

    static let supportedPreTokenizers = [
        "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva", "gpt2", "default",
    ]

    /// GPT-2's byte → character map (`bytes_to_unicode`).
    static let byteAlphabet: [Character] = {
        var n: UInt32 = 0
        return (0..<256).map { b -> Character in
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable { return Character(Unicode.Scalar(UInt8(b))) }
            defer { n += 1 }
            return Character(Unicode.Scalar(256 + n)!)
        }
    }()
    static let alphabetScalars = Set(byteAlphabet.map { $0.unicodeScalars.first!.value })

    static func inAlphabet(_ token: String) -> Bool {
        token.unicodeScalars.allSatisfy { alphabetScalars.contains($0.value) }
    }

    /// A token as the vocabulary spells it: unchanged when already in the byte alphabet, else its UTF-8 bytes
    /// mapped through it (as transformers' `byte_level_tokenizer` does).
    static func byteLevelSpelling(_ token: String) -> String {
        inAlphabet(token) ? token : String(token.utf8.map { byteAlphabet[Int($0)] })
    }

    /// The `tokenizer.json` document.
    public var json: [String: Any] {
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(tokens.count)
        for (id, t) in tokens.enumerated() where vocab[Self.byteLevelSpelling(t)] == nil {
            vocab[Self.byteLevelSpelling(t)] = id
        }
        var added: [[String: Any]] = []
        for (id, (t, type)) in zip(tokens, tokenTypes).enumerated() {
            // A control token outside the byte alphabet is a llama.cpp mislabel; transformers skips it too.
            let special = type == TokenType.control.rawValue && Self.inAlphabet(t)
            guard special || type == TokenType.userDefined.rawValue else { continue }
            added.append([
                "id": id, "content": t, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
                "special": special,
            ])
        }
        func piece(_ id: Int) -> [String: Any] { ["SpecialToken": ["id": tokens[id], "type_id": 0]] }
        func sequence(_ s: String, _ type: Int) -> [String: Any] { ["Sequence": ["id": s, "type_id": type]] }
        var single: [[String: Any]] = [], pair: [[String: Any]] = []
        var specials: [String: Any] = [:]
        if addBosToken, let b = bosTokenId {
            single.append(piece(b))
            specials[tokens[b]] = ["id": tokens[b], "ids": [b], "tokens": [tokens[b]]]
        }
        single.append(sequence("A", 0))
        pair = single
        if addEosToken, let e = eosTokenId {
            single.append(piece(e))
            pair.append(piece(e))
            specials[tokens[e]] = ["id": tokens[e], "ids": [e], "tokens": [tokens[e]]]
        }
        if addBosToken, let b = bosTokenId { pair.append(["SpecialToken": ["id": tokens[b], "type_id": 1]]) }
        pair.append(sequence("B", 1))
        if addEosToken, let e = eosTokenId { pair.append(["SpecialToken": ["id": tokens[e], "type_id": 1]]) }
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": NSNull(), "pre_tokenizer": Self.preTokenizer(named: preTokenizerName) ?? NSNull(),
            "post_processor": [
                "type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": specials,
            ],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": "",
                "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab, "merges": merges,
            ] as [String: Any],
        ]
    }

    /// ``json`` serialized (keys sorted, so the output is reproducible).
    public func jsonData() throws -> Data {
        do { return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]) } catch {
            throw TokenizerError(.invalid, path: "", "cannot serialize the GGUF tokenizer: \(error)")
        }
    }

    /// Writes ``json`` as a `tokenizer.json` at `url`, atomically.
    public func writeJSON(to url: URL) throws {
        do { try jsonData().write(to: url, options: .atomic) } catch let e as TokenizerError { throw e } catch {
            throw TokenizerError(.io, path: "", "cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// Our tokenizer for this vocabulary.
    public func tokenizer() throws -> Tokenizer { try Tokenizer(json: try jsonData()) }
}
