import Foundation
import Testing

@testable import Models

/// Builds GGUF bytes field by field, so a test can write a valid file and then make it lie.
struct GGUFWriterBytes {
    var bytes: [UInt8] = []
    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }

    /// Overwrites 4 or 8 bytes at `offset`.
    mutating func set32(_ offset: Int, _ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }
    mutating func set64(_ offset: Int, _ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }
}

/// A small valid GGUF v3 file — two metadata entries and two F32 tensors — and where each of its fields is, so
/// a test can corrupt exactly one.
struct SmallGGUF {
    var w = GGUFWriterBytes()
    var at: [String: Int] = [:]

    init(alignment: UInt32? = nil) {
        w.bytes.append(contentsOf: Array("GGUF".utf8))
        at["version"] = w.count; w.u32(3)
        at["tensorCount"] = w.count; w.u64(2)
        at["kvCount"] = w.count; w.u64(alignment == nil ? 2 : 3)
        at["kv0"] = w.count; w.string("general.architecture")
        at["kv0.type"] = w.count; w.u32(8)
        at["kv0.value"] = w.count; w.string("llama")
        at["kv1"] = w.count; w.string("test.array")
        at["kv1.type"] = w.count; w.u32(9)
        at["kv1.elementType"] = w.count; w.u32(4)
        at["kv1.count"] = w.count; w.u64(3)
        for v: UInt32 in [7, 8, 9] { w.u32(v) }
        if let alignment {
            at["kv2"] = w.count; w.string("general.alignment")
            at["kv2.type"] = w.count; w.u32(4)
            at["kv2.value"] = w.count; w.u32(alignment)
        }
        // Tensor a: F32 [4, 2] (8 floats) at 0; tensor b: F32 [8] at 32 (after padding to 32).
        at["t0"] = w.count; w.string("a")
        at["t0.rank"] = w.count; w.u32(2)
        at["t0.dim0"] = w.count; w.u64(4)
        at["t0.dim1"] = w.count; w.u64(2)
        at["t0.type"] = w.count; w.u32(0)
        at["t0.offset"] = w.count; w.u64(0)
        at["t1"] = w.count; w.string("b")
        at["t1.rank"] = w.count; w.u32(1)
        at["t1.dim0"] = w.count; w.u64(8)
        at["t1.type"] = w.count; w.u32(0)
        at["t1.offset"] = w.count; w.u64(32)
        w.pad(to: alignment.map { $0 > 0 && $0 & ($0 - 1) == 0 ? Int($0) : 32 } ?? 32)
        at["data"] = w.count
        for i in 0..<16 { w.u32(Float(i).bitPattern) }
    }

    var bytes: [UInt8] { w.bytes }
    subscript(_ field: String) -> Int { at[field]! }
}

/// The fixture directory `Fixtures/gguf` of this test target.
func ggufFixture(_ name: String) throws -> URL {
    let url = try #require(
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/gguf"),
        "fixture gguf/\(name) missing; run scripts/golden/gguf/generate.sh")
    return url
}

/// The fixture's JSON object.
func ggufFixtureJSON(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: try ggufFixture(name))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect((object["generated_by"] as? String)?.contains("generate.sh") == true)
    return object
}

/// `$FINETUNED_ASSETS/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf` (default `<package>/assets`); nil
/// (after saying why) when absent, unless `FINETUNED_REQUIRE_ASSETS=1`, which makes the test fail.
func smolLM2Path() -> String? {
    let env = ProcessInfo.processInfo.environment
    let root =
        env["FINETUNED_ASSETS"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("assets")
    let path = root.appendingPathComponent("SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf").path
    if FileManager.default.fileExists(atPath: path) { return path }
    let message = "\(path) not found; run scripts/fetch-assets or set FINETUNED_ASSETS"
    if env["FINETUNED_REQUIRE_ASSETS"] == "1" {
        Issue.record(Comment(rawValue: message + " (FINETUNED_REQUIRE_ASSETS=1)"))
    } else {
        print("⚠️⚠️⚠️ SKIPPING SmolLM2 test: \(message) ⚠️⚠️⚠️")
    }
    return nil
}

/// SmolLM2 loaded once for the tests that only read it (loading takes seconds in a debug build).
enum SmolLM2 {
    nonisolated(unsafe) private static var cached: LlamaModel?
    private static let lock = NSLock()

    /// The model, or nil when the asset is absent (see ``smolLM2Path()``).
    static func model() throws -> LlamaModel? {
        guard let path = smolLM2Path() else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let m = try LlamaModel(gguf: try GGUFFile(path: path))
        cached = m
        return m
    }
}
