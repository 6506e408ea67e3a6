import Foundation
import Testing

@testable import Models

/// A hostile and truncated GGUF corpus, generated here: a small valid file with one field made to lie at a time.
/// Each must be rejected with its own located error (code, byte offset, what is wrong), never a trap.
@Suite struct GGUFParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var code: GGUFError.Code
        /// The field whose offset the error must name.
        var field: String
        var message: String
        var mutate: @Sendable (inout SmallGGUF) -> Void
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "bad magic", code: .malformed, field: "magic", message: "not a GGUF file") {
            $0.w.bytes[3] = UInt8(ascii: "X")
        },
        Case(label: "big-endian magic", code: .unsupported, field: "magic", message: "big-endian") {
            $0.w.bytes.replaceSubrange(0..<4, with: Array("FUGG".utf8))
        },
        Case(label: "version 1", code: .unsupported, field: "version", message: "GGUF version 1") {
            $0.w.set32($0["version"], 1)
        },
        Case(label: "version 9", code: .unsupported, field: "version", message: "unknown GGUF version 9") {
            $0.w.set32($0["version"], 9)
        },
        Case(label: "tensor count past the limit", code: .malformed, field: "tensorCount", message: "the limit of") {
            $0.w.set64($0["tensorCount"], 1 << 40)
        },
        Case(
            label: "tensor count past the file", code: .truncated, field: "tensorCount", message: "bytes left can hold"
        ) {
            $0.w.set64($0["tensorCount"], 1000)
        },
        Case(label: "key-value count past the limit", code: .malformed, field: "kvCount", message: "the limit of") {
            $0.w.set64($0["kvCount"], UInt64.max)
        },
        Case(label: "key-value count past the file", code: .truncated, field: "kvCount", message: "bytes left can hold")
        {
            $0.w.set64($0["kvCount"], 100)
        },
        Case(label: "fewer key-values than written", code: .malformed, field: "kv1.type", message: "has 9 dimensions") {
            $0.w.set64($0["kvCount"], 1)  // the second key-value is then read as a tensor entry
        },
        Case(label: "key length past the limit", code: .malformed, field: "kv0", message: "exceeds the limit") {
            $0.w.set64($0["kv0"], 1 << 62)
        },
        Case(
            label: "key length past the file", code: .truncated, field: "kv0", message: "runs past the end of the file"
        ) {
            $0.w.set64($0["kv0"], 100_000)
        },
        Case(
            label: "string value length past the file", code: .truncated, field: "kv0.value",
            message: "runs past the end"
        ) {
            $0.w.set64($0["kv0.value"], 1 << 20)
        },
        Case(label: "key not UTF-8", code: .malformed, field: "kv0", message: "not valid UTF-8") {
            $0.w.bytes[$0["kv0"] + 8] = 0xFF
        },
        Case(label: "unknown value type", code: .malformed, field: "kv0.type", message: "13, not a GGUF value type") {
            $0.w.set32($0["kv0.type"], 13)
        },
        Case(label: "bool that is not 0 or 1", code: .malformed, field: "kv0.value", message: "a bool must be 0 or 1") {
            $0.w.set32($0["kv0.type"], 7)
            $0.w.bytes[$0["kv0.value"]] = 2
        },
        Case(label: "array count past the limit", code: .malformed, field: "kv1.count", message: "exceeds the limit") {
            $0.w.set64($0["kv1.count"], 1 << 30)
        },
        Case(label: "array count past the file", code: .truncated, field: "kv1.count", message: "cannot fit") {
            $0.w.set64($0["kv1.count"], 1 << 20)
        },
        Case(
            label: "unknown array element type", code: .malformed, field: "kv1.elementType",
            message: "not a GGUF value type"
        ) {
            $0.w.set32($0["kv1.elementType"], 77)
        },
        Case(
            label: "duplicate key", code: .malformed, field: "kv1",
            message: "duplicate metadata key 'general.architecture'"
        ) {
            var w = GGUFWriterBytes()
            w.string("general.architecture")
            $0.w.bytes.replaceSubrange($0["kv1"]..<$0["kv1.type"], with: w.bytes)
        },
        Case(label: "empty tensor name", code: .malformed, field: "t1", message: "tensor 1 has an empty name") {
            $0.w.bytes.replaceSubrange($0["t1"]..<$0["t1.rank"], with: [UInt8](repeating: 0, count: 8))
        },
        Case(label: "duplicate tensor name", code: .malformed, field: "t1", message: "duplicate tensor name 'a'") {
            $0.w.bytes[$0["t1"] + 8] = UInt8(ascii: "a")
        },
        Case(label: "five dimensions", code: .malformed, field: "t0.rank", message: "has 5 dimensions") {
            $0.w.set32($0["t0.rank"], 5)
        },
        Case(label: "zero dimension", code: .malformed, field: "t0.dim0", message: "dimension 0 of tensor a is 0") {
            $0.w.set64($0["t0.dim0"], 0)
        },
        Case(label: "huge dimension", code: .malformed, field: "t0.dim0", message: "must be 1 to 2^31-1") {
            $0.w.set64($0["t0.dim0"], UInt64.max)
        },
        Case(label: "element count overflow", code: .malformed, field: "t0.dim1", message: "more than 2^40 elements") {
            $0.w.set64($0["t0.dim1"], 1 << 30)
            $0.w.set64($0["t0.dim0"], 1 << 30)
        },
        Case(label: "unknown tensor type", code: .malformed, field: "t0.type", message: "unknown type 99") {
            $0.w.set32($0["t0.type"], 99)
        },
        Case(
            label: "row not whole blocks", code: .malformed, field: "t0.type",
            message: "not a whole number of Q8_0 blocks"
        ) {
            $0.w.set32($0["t0.type"], 8)
        },
        Case(
            label: "unaligned data offset", code: .malformed, field: "t1.offset",
            message: "not a multiple of the alignment 32"
        ) {
            $0.w.set64($0["t1.offset"], 33)
        },
        Case(label: "data offset past the file", code: .truncated, field: "t1.offset", message: "past the end") {
            $0.w.set64($0["t1.offset"], 1 << 40)
        },
        Case(label: "tensor data past the file", code: .truncated, field: "t1", message: "run past the end of the file")
        {
            $0.w.set64($0["t1.dim0"], 9)
        },
        Case(label: "overlapping tensors", code: .malformed, field: "t1", message: "overlaps tensor a") {
            $0.w.set64($0["t1.offset"], 0)
        },
        Case(label: "data section truncated", code: .truncated, field: "t1", message: "run past the end") {
            $0.w.bytes.removeLast(4)
        },
    ]

    @Test(arguments: cases)
    func rejectsWithALocatedError(_ c: Case) throws {
        var file = SmallGGUF()
        c.mutate(&file)
        let e = try #require(throws: GGUFError.self) { try GGUFFile(bytes: file.bytes, path: "hostile.gguf") }
        #expect(e.code == c.code, "\(e)")
        #expect(e.offset == (c.field == "magic" ? 0 : file[c.field]), "\(e)")
        #expect(e.message.contains(c.message), "\(e)")
        #expect(e.description.hasPrefix("hostile.gguf: byte \(e.offset ?? -1): "))
    }

    @Test func theUncorruptedFileParses() throws {
        let f = try GGUFFile(bytes: SmallGGUF().bytes)
        #expect(f.keys == ["general.architecture", "test.array"])
        #expect(try f.integers("test.array") == [7, 8, 9])
        #expect(f.tensors.map(\.name) == ["a", "b"])
        #expect(try f.tensor("a").shape == [2, 4])
        #expect(try f.tensor("b").scalars == (8..<16).map(Float.init))
    }

    @Test(arguments: [UInt32(0), 48, 1 << 20])
    func rejectsABadAlignment(_ alignment: UInt32) throws {
        let file = SmallGGUF(alignment: alignment == 0 ? 0 : alignment)
        let e = try #require(throws: GGUFError.self) { try GGUFFile(bytes: file.bytes) }
        #expect(e.code == .malformed && e.offset == file["kv2"])
        #expect(e.message.contains("general.alignment must be a power of two"), "\(e)")
    }

    @Test func honoursAnAlignment() throws {
        var file = SmallGGUF(alignment: 64)
        file.w.set64(file["t1.offset"], 64)
        file.w.bytes.append(contentsOf: [UInt8](repeating: 0, count: 32))
        let f = try GGUFFile(bytes: file.bytes)
        #expect(f.alignment == 64 && f.dataOffset % 64 == 0)
        // t1 at offset 32 would be unaligned now.
        file.w.set64(file["t1.offset"], 32)
        let e = try #require(throws: GGUFError.self) { try GGUFFile(bytes: file.bytes) }
        #expect(e.offset == file["t1.offset"] && e.message.contains("alignment 64"))
    }

    @Test func deepArraysAreRefused() throws {
        var w = GGUFWriterBytes()
        w.bytes.append(contentsOf: Array("GGUF".utf8))
        w.u32(3); w.u64(0); w.u64(1)
        w.string("deep"); w.u32(9)
        var starts: [Int] = []
        for _ in 0..<4 { starts.append(w.count); w.u32(9); w.u64(1) }
        w.u32(4); w.u64(1); w.u32(0)
        let e = try #require(throws: GGUFError.self) { try GGUFFile(bytes: w.bytes) }
        #expect(e.code == .malformed && e.message.contains("nested deeper than 3") && e.offset == starts[3], "\(e)")
    }

    /// Every prefix of a real (gguf-py written) file is a truncation error unless it holds all tensor data.
    @Test func everyTruncationIsAnError() throws {
        let bytes = [UInt8](try Data(contentsOf: try ggufFixture("quants.gguf")))
        let whole = try GGUFFile(bytes: bytes)
        let end = whole.tensors.map { whole.dataOffset + $0.offset + $0.byteCount }.max() ?? 0
        for n in 0..<bytes.count {
            do {
                _ = try GGUFFile(bytes: Array(bytes[0..<n]))
                #expect(n >= end, "a \(n)-byte prefix parsed but tensor data runs to \(end)")
            } catch let e as GGUFError {
                #expect(e.code == .truncated, "prefix \(n): \(e)")
                #expect((e.offset ?? 0) <= n, "prefix \(n): \(e)")
            }
        }
    }

    /// Seeded random corruption of the header and directory: each mutant parses or throws a GGUFError.
    @Test func randomCorruptionNeverTraps() throws {
        let bytes = [UInt8](try Data(contentsOf: try ggufFixture("quants.gguf")))
        let whole = try GGUFFile(bytes: bytes)
        var rng = SplitMix(seed: 12)
        var rejected = 0
        for _ in 0..<3000 {
            var mutant = bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(whole.dataOffset))
                mutant[i] = rng.next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: rng.next())
            }
            do { _ = try GGUFFile(bytes: mutant) } catch is GGUFError { rejected += 1 }
        }
        #expect(rejected > 1000)
    }
}

/// A tiny seeded generator for the corruption test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
