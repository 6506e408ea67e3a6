import Foundation
import Tensor

#if canImport(Glibc)
    import Glibc
#endif

/// A GGUF file (llama.cpp's model format, versions 2 and 3) opened for reading.
///
/// Layout: the magic `GGUF`, a version, the tensor and key-value counts, the metadata key-values, the tensor
/// directory (name, dimensions, type, offset), padding to `general.alignment` (default 32), then the tensor data.
/// Everything before the data is parsed and checked when the file is opened — every count, length, type tag and
/// offset against the bytes really present and against ``Limits`` — so a truncated or hostile file is a
/// ``GGUFError`` naming the byte offset at fault, never a trap or an unbounded allocation. The data is
/// memory-mapped and dequantized to float32 on request (``tensor(_:)``).
///
/// Dimensions are kept in ggml's order (`dimensions[0]` varies fastest); ``TensorInfo/shape`` is the PyTorch
/// order (reversed), which is what ``tensor(_:)`` returns.
public final class GGUFFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    /// Caps on what a file may announce, beyond fitting in the file itself.
    public struct Limits: Sendable {
        public var maxStringBytes = 1 << 24
        public var maxArrayCount = 1 << 24
        public var maxArrayDepth = 3
        public var maxKeyValues = 1 << 16
        public var maxTensors = 1 << 16
        public var maxTensorNameBytes = 256
        public var maxAlignment = 1 << 16
        public init() {}
    }

    /// One entry of the tensor directory.
    public struct TensorInfo: Sendable, Equatable {
        public var name: String
        /// ggml order: `dimensions[0]` is the contiguous (row) dimension.
        public var dimensions: [Int]
        public var type: GGMLType
        /// Offset of the data from the start of the data section.
        public var offset: Int
        public var byteCount: Int
        public var elementCount: Int
        /// Where this directory entry starts in the file (for located errors).
        public var entryOffset: Int

        /// PyTorch order (`dimensions` reversed): a `[576, 49152]` ggml embedding is `[49152, 576]`.
        public var shape: [Int] { dimensions.reversed() }
    }

    public let path: String
    public let version: Int
    /// Metadata keys in file order.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    /// Byte offset of each key-value entry.
    public let metadataOffsets: [String: Int]
    /// The tensor directory in file order.
    public let tensors: [TensorInfo]
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Where the data section starts.
    public let dataOffset: Int
    public let fileSize: Int
    private let index: [String: Int]
    private let bytes: MappedBytes

    /// Memory-maps and parses the file at `path`.
    public convenience init(path: String, limits: Limits = Limits()) throws {
        try self.init(bytes: MappedBytes(path: path), path: path, limits: limits)
    }

    /// Parses GGUF bytes held in memory (tests, or a file read some other way); `path` names it in errors.
    public convenience init(bytes: [UInt8], path: String = "<memory>", limits: Limits = Limits()) throws {
        try self.init(bytes: MappedBytes(copying: bytes), path: path, limits: limits)
    }

    private init(bytes: MappedBytes, path: String, limits: Limits) throws {
        self.bytes = bytes
        self.path = path
        fileSize = bytes.count
        var parser = GGUFParser(base: bytes.base, count: bytes.count, path: path, limits: limits)
        let parsed = try parser.parse()
        version = parsed.version
        keys = parsed.keys
        metadata = parsed.metadata
        metadataOffsets = parsed.metadataOffsets
        tensors = parsed.tensors
        alignment = parsed.alignment
        dataOffset = parsed.dataOffset
        index = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
    }

    // MARK: Metadata

    func error(_ code: GGUFError.Code, key: String, _ message: String) -> GGUFError {
        GGUFError(code, at: metadataOffsets[key], message, path: path)
    }

    /// The value of `key`, or a `.missing` error naming it.
    public func value(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw GGUFError(.missing, at: nil, "no metadata key '\(key)'", path: path) }
        return v
    }

    /// An integer value (any integer type), or an error naming the key and what it holds instead.
    public func integer(_ key: String) throws -> Int {
        let v = try value(key)
        guard let i = v.int else { throw error(.missing, key: key, "'\(key)' is \(v.summary), expected an integer") }
        return i
    }

    /// A float value (float32, float64, or an integer).
    public func float(_ key: String) throws -> Double {
        let v = try value(key)
        guard let d = v.double else { throw error(.missing, key: key, "'\(key)' is \(v.summary), expected a number") }
        return d
    }

    public func string(_ key: String) throws -> String {
        let v = try value(key)
        guard let s = v.string else { throw error(.missing, key: key, "'\(key)' is \(v.summary), expected a string") }
        return s
    }

    /// An array of strings.
    public func strings(_ key: String) throws -> [String] {
        let v = try value(key)
        guard case .array(.string, let values) = v else {
            throw error(.missing, key: key, "'\(key)' is \(v.summary), expected an array of strings")
        }
        return values.map { $0.string ?? "" }
    }

    /// An array of integers (any integer element type).
    public func integers(_ key: String) throws -> [Int] {
        let v = try value(key)
        let ints = v.array?.compactMap(\.int) ?? []
        guard case .array(let t, let values) = v, t != .array, t != .string, ints.count == values.count else {
            throw error(.missing, key: key, "'\(key)' is \(v.summary), expected an array of integers")
        }
        return ints
    }

    // MARK: Tensors

    /// The directory entry of `name`, or a `.missing` error.
    public func info(_ name: String) throws -> TensorInfo {
        guard let i = index[name] else { throw GGUFError(.missing, at: nil, "no tensor named '\(name)'", path: path) }
        return tensors[i]
    }

    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// The tensor as float32 in PyTorch order (``TensorInfo/shape``), dequantized from its stored type.
    /// Throws "unsupported quantization <type> for tensor <name>" for types other than F32, F16, BF16, Q8_0,
    /// Q4_0 and Q4_1.
    public func tensor(_ name: String) throws -> Tensor {
        let t = try info(name)
        return try rows(name, 0..<(t.elementCount / t.dimensions[0])).reshaped(t.shape)
    }

    /// Rows `range` of the tensor viewed as `[elements / dimensions[0], dimensions[0]]` (for an embedding
    /// matrix: the vectors of those token ids), as float32 `[range.count, dimensions[0]]`.
    public func rows(_ name: String, _ range: Range<Int>) throws -> Tensor {
        let t = try info(name)
        let width = t.dimensions[0]
        let rowCount = t.elementCount / width
        guard range.lowerBound >= 0, range.upperBound <= rowCount else {
            throw GGUFError(
                .missing, at: t.entryOffset, "rows \(range) outside tensor '\(name)' of \(rowCount) rows", path: path)
        }
        guard t.type.isDequantizable else {
            throw GGUFError(
                .unsupported, at: t.entryOffset, "unsupported quantization \(t.type) for tensor \(name)", path: path)
        }
        let out = Tensor(zeros: [range.count, width])
        let rowBytes = width / t.type.blockSize * t.type.typeSize
        let src = bytes.base + dataOffset + t.offset + range.lowerBound * rowBytes
        GGUFQuantization.dequantize(t.type, src, count: range.count * width, into: out.pointer)
        return out
    }
}

/// The bytes a ``GGUFFile`` reads: a read-only memory map of a file, or a private copy.
final class MappedBytes: @unchecked Sendable {  // read-only after init
    let base: UnsafeRawPointer
    let count: Int
    private let mapped: Bool

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GGUFError(.io, at: nil, "cannot open: \(String(cString: strerror(errno)))", path: path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw GGUFError(.io, at: nil, "cannot stat", path: path) }
        count = Int(st.st_size)
        guard count > 0 else { throw GGUFError(.truncated, at: 0, "the file is empty", path: path) }
        guard let m = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw GGUFError(.io, at: nil, "mmap failed: \(String(cString: strerror(errno)))", path: path)
        }
        base = UnsafeRawPointer(m)
        mapped = true
    }

    init(copying bytes: [UInt8]) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: bytes.count) } }
        base = UnsafeRawPointer(p)
        count = bytes.count
        mapped = false
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}
