import Foundation
import Testing

@testable import Tokenizers

/// Malformed or unsupported tokenizer.json files fail with the JSON path at fault, never a crash.
@Suite struct TokenizerErrorTests {
    static let wordPiece = #""model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}"#

    @Test(arguments: [
        ("not json", "", TokenizerError.Code.malformed),
        ("[1, 2]", "", .malformed),
        ("{}", "model", .missing),
        (#"{"model": {"type": "Unigram", "vocab": [["a", -1.0]], "unk_id": 3}}"#, "model.unk_id", .invalid),
        (#"{"model": {"type": "SentencePiece", "vocab": []}}"#, "model.type", .unsupported),
        (#"{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"#, "model.unk_token", .invalid),
        (
            #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": "zero"}}}"#, "model.vocab.[UNK]",
            .malformed
        ),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#, "model.merges[0]", .invalid),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}"#, "model.merges[0]", .invalid),
        (
            #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}}"#, "model.dropout",
            .unsupported
        ),
        (
            "{\(wordPiece), \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Whitespace\"}, {\"type\": \"UnicodeScripts\"}]}}",
            "pre_tokenizer.pretokenizers[1].type", .unsupported
        ),
        (
            "{\(wordPiece), \"pre_tokenizer\": {\"type\": \"Punctuation\", \"behavior\": \"Sideways\"}}",
            "pre_tokenizer.behavior", .unsupported
        ),
        ("{\(wordPiece), \"normalizer\": {\"lowercase\": true}}", "normalizer.type", .missing),
        (
            "{\(wordPiece), \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"[X]\", \"type_id\": 0}}], \"pair\": [], \"special_tokens\": {}}}",
            "post_processor.single[0].SpecialToken.id", .invalid
        ),
        ("{\(wordPiece), \"decoder\": {\"type\": \"Mystery\"}}", "decoder.type", .unsupported),
        ("{\(wordPiece), \"truncation\": {\"max_length\": \"long\"}}", "truncation.max_length", .malformed),
        (
            "{\(wordPiece), \"padding\": {\"strategy\": {\"Fixed\": 8}, \"direction\": \"Up\"}}", "padding.direction",
            .unsupported
        ),
        ("{\(wordPiece), \"added_tokens\": [{\"id\": 5}]}", "added_tokens[0].content", .missing),
        ("{\(wordPiece), \"added_tokens\": [{\"id\": -1, \"content\": \"x\"}]}", "added_tokens[0].id", .invalid),
        (
            #"{"model": {"type": "WordPiece", "unk_token": "a", "vocab": {"a": 999999999999}}}"#, "model.vocab.a",
            .invalid
        ),
        ("{\(wordPiece), \"padding\": {\"strategy\": {\"Fixed\": 100000000000}}}", "padding.strategy.Fixed", .invalid),
        ("{\(wordPiece), \"truncation\": {\"max_length\": 8, \"stride\": 8}}", "truncation.stride", .invalid),
    ])
    func locatedError(_ json: String, _ path: String, _ code: TokenizerError.Code) {
        do {
            _ = try Tokenizer(json: Data(json.utf8))
            Issue.record("expected an error at \(path)")
        } catch let e as TokenizerError {
            #expect(e.path == path, "\(e)")
            #expect(e.code == code, "\(e)")
            #expect(e.description.hasPrefix(path))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: TokenizerError.self) {
            try Tokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))
        }
    }
}

/// Degenerate but valid files load and encode without trapping.
@Suite struct DegenerateTokenizerTests {
    @Test(arguments: [
        #"{"model": {"type": "Unigram", "vocab": []}}"#,
        #"{"model": {"type": "Unigram", "vocab": [["<unk>", 0.0]], "unk_id": 0, "byte_fallback": true}}"#,
        #"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}"#,
        #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "pre_tokenizer": {"type": "Metaspace"}}"#,
        #"{"model": {"type": "WordLevel", "vocab": {"<unk>": 0}}, "normalizer": {"type": "Prepend", "prepend": "x"}}"#,
    ])
    func encodesAnything(_ json: String) throws {
        let tok = try Tokenizer(json: Data(json.utf8))
        for text in ["", " ", "héllo wörld 🙂", String(repeating: "ab ", count: 50)] {
            let e = try tok.encode(text, pair: text)
            _ = tok.decode(e.ids)
        }
    }
}
