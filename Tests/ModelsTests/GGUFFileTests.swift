import Foundation
import Tensor
import Testing

@testable import Models

/// The reader on a file written by gguf-py (scripts/golden/gguf/generate.sh): every metadata type, the tensor
/// directory with a 64-byte alignment, and dequantization equal to gguf-py's, bit for bit.
@Suite struct GGUFFileTests {
    let file: GGUFFile
    let reference: [String: Any]

    init() throws {
        file = try GGUFFile(path: try ggufFixture("quants.gguf").path)
        reference = try ggufFixtureJSON("quants.json")
    }

    @Test func headerAndDirectory() throws {
        #expect(file.version == 3)
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.tensors.count == reference["tensor_count"] as? Int)
        // gguf-py counts the three header fields as fields too.
        #expect(file.keys.count + 3 == reference["kv_count"] as? Int)
        let tensors = try #require(reference["tensors"] as? [String: [String: Any]])
        for t in file.tensors {
            let r = try #require(tensors[t.name], "unexpected tensor \(t.name)")
            #expect(t.type.name == r["type"] as? String, "\(t.name)")
            #expect(t.shape == r["shape"] as? [Int], "\(t.name)")
            #expect(file.dataOffset + t.offset == r["offset"] as? Int, "\(t.name)")
        }
    }

    @Test func metadataOfEveryType() throws {
        let meta = try #require(reference["metadata"] as? [String: [String: Any]])
        func ref(_ key: String) -> Any? { meta[key]?["value"] }
        #expect(file.metadata["test.u8"] == .uint8(200))
        #expect(file.metadata["test.i8"] == .int8(-100))
        #expect(file.metadata["test.u16"] == .uint16(60000))
        #expect(file.metadata["test.i16"] == .int16(-30000))
        #expect(file.metadata["test.u32"] == .uint32(4_000_000_000))
        #expect(file.metadata["test.i32"] == .int32(-2_000_000_000))
        #expect(file.metadata["test.u64"] == .uint64(UInt64(1) << 63 + 5))
        #expect(file.metadata["test.i64"] == .int64(-(Int64(1) << 62)))
        #expect(file.metadata["test.f32"] == .float32(Float(try #require(ref("test.f32") as? Double))))
        #expect(file.metadata["test.f64"] == .float64(-1e300))
        #expect(file.metadata["test.bool"] == .bool(true))
        #expect(try file.string("test.string") == ref("test.string") as? String)
        #expect(try file.integers("test.ints") == ref("test.ints") as? [Int])
        #expect(try file.strings("test.strings") == ref("test.strings") as? [String])
        #expect(file.metadata["test.floats"] == .array(.float32, [.float32(0.5), .float32(-1.25)]))
        #expect(file.metadata["test.bools"] == .array(.bool, [.bool(true), .bool(false)]))
        // gguf-py's reader flattens nested arrays ([1, 2, 3]); the file holds [[1, 2], [3]].
        #expect(
            file.metadata["test.nested"]
                == .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])]))
        #expect(ref("test.nested") as? [Int] == [1, 2, 3])
        #expect(try file.integer("general.alignment") == 64)
        // Typed accessors name the key and what it holds.
        #expect(throws: GGUFError.self) { try file.integer("test.string") }
        let e = try #require(throws: GGUFError.self) { try file.strings("test.ints") }
        #expect(e.code == .missing && e.offset == file.metadataOffsets["test.ints"])
        #expect(e.message.contains("'test.ints' is array of 3 int32"))
    }

    @Test(arguments: ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "vector"])
    func dequantizesLikeGGUFPy(_ name: String) throws {
        let tensors = try #require(reference["tensors"] as? [String: [String: Any]])
        let r = try #require(tensors[name])
        let expected = try #require(r["values"] as? [Double]).map(Float.init)
        let t = try file.tensor(name)
        #expect(t.shape == r["shape"] as? [Int])
        // gguf-py computes in float32 with the same operations: equal, not merely close.
        let mismatches = zip(t.scalars, expected).enumerated().filter { $1.0 != $1.1 }
        #expect(t.count == expected.count)
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) values differ, first \(mismatches.prefix(3))")
    }

    @Test func rowsAreSlicesOfTheTensor() throws {
        let whole = try file.tensor("q4_1")  // [5, 96]
        let rows = try file.rows("q4_1", 2..<4)
        #expect(rows.shape == [2, 96])
        #expect(rows.scalars == Array(whole.scalars[192..<384]))
        let e = try #require(throws: GGUFError.self) { try file.rows("q4_1", 4..<6) }
        #expect(e.message.contains("outside tensor 'q4_1'"))
    }

    @Test func otherQuantizationsAreAClearError() throws {
        let e = try #require(throws: GGUFError.self) { try file.tensor("blk.0.q5_0") }
        #expect(e.code == .unsupported)
        #expect(e.message == "unsupported quantization Q5_0 for tensor blk.0.q5_0")
        #expect(e.offset == (try file.info("blk.0.q5_0")).entryOffset)
        #expect(throws: GGUFError.self) { try file.tensor("no.such.tensor") }
    }

    @Test func memoryAndMappedReadsAgree() throws {
        let bytes = [UInt8](try Data(contentsOf: try ggufFixture("quants.gguf")))
        let copy = try GGUFFile(bytes: bytes)
        #expect(copy.tensors == file.tensors)
        #expect(copy.metadata == file.metadata)
        #expect(try copy.tensor("q4_0").scalars == file.tensor("q4_0").scalars)
    }
}
