/// Reads the part of a GGUF file before the tensor data — header, metadata, tensor directory — checking each
/// value against the bytes left and the ``GGUFFile/Limits`` before using it.
struct GGUFParser {
    struct Parsed {
        var version: Int
        var keys: [String]
        var metadata: [String: GGUFValue]
        var metadataOffsets: [String: Int]
        var tensors: [GGUFFile.TensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    let base: UnsafeRawPointer
    let count: Int
    let path: String
    let limits: GGUFFile.Limits
    /// The read position.
    var offset = 0

    init(base: UnsafeRawPointer, count: Int, path: String, limits: GGUFFile.Limits) {
        self.base = base
        self.count = count
        self.path = path
        self.limits = limits
    }

    static let defaultAlignment = 32

    mutating func parse() throws -> Parsed {
        // Header: magic, version, tensor count, key-value count.
        try need(4, "the magic number")
        let magic = Array(UnsafeRawBufferPointer(start: base, count: 4))
        guard magic == Array("GGUF".utf8) else {
            if magic == Array("FUGG".utf8) {
                throw fail(.unsupported, at: 0, "a big-endian GGUF file (only little-endian files are supported)")
            }
            throw fail(
                .malformed, at: 0,
                "not a GGUF file (magic \(magic.map { String($0, radix: 16) }), expected 47 47 55 46)")
        }
        offset = 4
        let version = try u32("the version")
        guard version == 2 || version == 3 else {
            throw fail(
                .unsupported, at: 4,
                version == 1
                    ? "GGUF version 1 (32-bit counts) is not supported; convert the file to version 3"
                    : "unknown GGUF version \(version) (versions 2 and 3 are supported)")
        }
        let tensorCountAt = offset
        let tensorCount = try u64("the tensor count")
        let kvCountAt = offset
        let kvCount = try u64("the metadata key-value count")
        // A key-value takes at least 13 bytes (key length, type, a 1-byte value), a tensor entry at least 24.
        guard kvCount <= UInt64(limits.maxKeyValues), kvCount <= UInt64(remaining / 13) else {
            throw fail(
                kvCount <= UInt64(limits.maxKeyValues) ? .truncated : .malformed, at: kvCountAt,
                "metadata key-value count \(kvCount) exceeds "
                    + (kvCount <= UInt64(limits.maxKeyValues)
                        ? "what the \(remaining) bytes left can hold" : "the limit of \(limits.maxKeyValues)"))
        }
        guard tensorCount <= UInt64(limits.maxTensors), tensorCount <= UInt64(remaining / 24) else {
            throw fail(
                tensorCount <= UInt64(limits.maxTensors) ? .truncated : .malformed, at: tensorCountAt,
                "tensor count \(tensorCount) exceeds "
                    + (tensorCount <= UInt64(limits.maxTensors)
                        ? "what the \(remaining) bytes left can hold" : "the limit of \(limits.maxTensors)"))
        }

        // Metadata.
        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        var offsets: [String: Int] = [:]
        keys.reserveCapacity(Int(kvCount))
        for i in 0..<Int(kvCount) {
            let at = offset
            let key = try string("the key of metadata entry \(i)", limit: limits.maxStringBytes)
            guard !key.isEmpty else { throw fail(.malformed, at: at, "metadata entry \(i) has an empty key") }
            guard metadata[key] == nil else {
                throw fail(.malformed, at: at, "duplicate metadata key '\(key)' (first at byte \(offsets[key] ?? 0))")
            }
            let typeAt = offset
            let type = try valueType("the type of '\(key)'", at: typeAt)
            metadata[key] = try value(type, "'\(key)'", depth: 0)
            offsets[key] = at
            keys.append(key)
        }

        var alignment = Self.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard let n = a.int, n > 0, n & (n - 1) == 0, n <= limits.maxAlignment else {
                throw fail(
                    .malformed, at: offsets["general.alignment"],
                    "general.alignment must be a power of two from 1 to \(limits.maxAlignment), got "
                        + (a.int.map { "\($0)" } ?? a.summary))
            }
            alignment = n
        }

        // Tensor directory.
        var tensors: [GGUFFile.TensorInfo] = []
        tensors.reserveCapacity(Int(tensorCount))
        var names: [String: Int] = [:]
        for i in 0..<Int(tensorCount) {
            let at = offset
            let name = try string("the name of tensor \(i)", limit: limits.maxTensorNameBytes)
            guard !name.isEmpty else { throw fail(.malformed, at: at, "tensor \(i) has an empty name") }
            if let first = names[name] {
                throw fail(.malformed, at: at, "duplicate tensor name '\(name)' (first at byte \(first))")
            }
            names[name] = at
            let dimsAt = offset
            let rank = try u32("the dimension count of tensor \(name)")
            guard (1...4).contains(rank) else {
                throw fail(.malformed, at: dimsAt, "tensor \(name) has \(rank) dimensions (1 to 4 are allowed)")
            }
            var dims: [Int] = []
            var elements = 1
            for d in 0..<Int(rank) {
                let dAt = offset
                let n = try u64("dimension \(d) of tensor \(name)")
                guard n >= 1, n <= UInt64(Int32.max) else {
                    throw fail(.malformed, at: dAt, "dimension \(d) of tensor \(name) is \(n) (must be 1 to 2^31-1)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(n))
                guard !overflow, product <= 1 << 40 else {
                    throw fail(.malformed, at: dAt, "tensor \(name) has more than 2^40 elements")
                }
                elements = product
                dims.append(Int(n))
            }
            let typeAt = offset
            let type = GGMLType(rawValue: try u32("the type of tensor \(name)"))
            guard type.isKnown else {
                throw fail(.malformed, at: typeAt, "tensor \(name) has unknown type \(type.rawValue)")
            }
            guard dims[0] % type.blockSize == 0 else {
                throw fail(
                    .malformed, at: typeAt,
                    "tensor \(name): its row of \(dims[0]) elements is not a whole number of \(type) blocks of \(type.blockSize)"
                )
            }
            let byteCount = elements / type.blockSize * type.typeSize
            let dataAt = offset
            let relative = try u64("the data offset of tensor \(name)")
            guard relative % UInt64(alignment) == 0 else {
                throw fail(
                    .malformed, at: dataAt,
                    "tensor \(name): data offset \(relative) is not a multiple of the alignment \(alignment)")
            }
            guard relative <= UInt64(count) else {
                throw fail(
                    .truncated, at: dataAt,
                    "tensor \(name): data offset \(relative) is past the end of the \(count)-byte file")
            }
            tensors.append(
                .init(
                    name: name, dimensions: dims, type: type, offset: Int(relative), byteCount: byteCount,
                    elementCount: elements, entryOffset: at))
        }

        // The data section starts at the next multiple of the alignment; every tensor must lie inside it and
        // none may overlap another.
        let dataOffset = (offset + alignment - 1) / alignment * alignment
        if !tensors.isEmpty {
            guard dataOffset <= count else {
                throw fail(
                    .truncated, at: offset,
                    "the data section would start at byte \(dataOffset), past the end of the \(count)-byte file")
            }
        }
        let dataBytes = max(0, count - dataOffset)
        for t in tensors where t.offset > dataBytes || t.byteCount > dataBytes - t.offset {
            throw fail(
                .truncated, at: t.entryOffset,
                "tensor \(t.name): \(t.byteCount) bytes of \(t.type) \(t.dimensions) at data offset \(t.offset) run past the end of the file (the data section has \(dataBytes) bytes)"
            )
        }
        let byStart = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw fail(
                .malformed, at: b.entryOffset,
                "tensor \(b.name) (data offset \(b.offset)) overlaps tensor \(a.name) (data \(a.offset)..<\(a.offset + a.byteCount))"
            )
        }
        return Parsed(
            version: Int(version), keys: keys, metadata: metadata, metadataOffsets: offsets, tensors: tensors,
            alignment: alignment, dataOffset: dataOffset)
    }

    // MARK: Values

    mutating func value(_ type: GGUFValueType, _ what: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try scalar(UInt8.self, what))
        case .int8: return .int8(try scalar(Int8.self, what))
        case .uint16: return .uint16(try scalar(UInt16.self, what))
        case .int16: return .int16(try scalar(Int16.self, what))
        case .uint32: return .uint32(try scalar(UInt32.self, what))
        case .int32: return .int32(try scalar(Int32.self, what))
        case .uint64: return .uint64(try scalar(UInt64.self, what))
        case .int64: return .int64(try scalar(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try scalar(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try scalar(UInt64.self, what)))
        case .bool:
            let at = offset
            let b = try scalar(UInt8.self, what)
            guard b <= 1 else { throw fail(.malformed, at: at, "\(what): a bool must be 0 or 1, got \(b)") }
            return .bool(b == 1)
        case .string: return .string(try string(what, limit: limits.maxStringBytes))
        case .array:
            let at = offset
            guard depth < limits.maxArrayDepth else {
                throw fail(.malformed, at: at, "\(what): arrays nested deeper than \(limits.maxArrayDepth)")
            }
            let element = try valueType("the element type of \(what)", at: at)
            let countAt = offset
            let n = try u64("the element count of \(what)")
            guard n <= UInt64(limits.maxArrayCount) else {
                throw fail(
                    .malformed, at: countAt,
                    "\(what): array of \(n) elements exceeds the limit of \(limits.maxArrayCount)")
            }
            guard n <= UInt64(remaining / element.minimumSize) else {
                throw fail(
                    .truncated, at: countAt,
                    "\(what): array of \(n) \(element) elements cannot fit in the \(remaining) bytes left")
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(n))
            for i in 0..<Int(n) { values.append(try value(element, "\(what)[\(i)]", depth: depth + 1)) }
            return .array(element, values)
        }
    }

    mutating func valueType(_ what: String, at: Int) throws -> GGUFValueType {
        let raw = try u32(what)
        guard let t = GGUFValueType(rawValue: raw) else {
            throw fail(.malformed, at: at, "\(what) is \(raw), not a GGUF value type (0 to 12)")
        }
        return t
    }

    // MARK: Primitive reads

    var remaining: Int { count - offset }

    func fail(_ code: GGUFError.Code, at: Int?, _ message: String) -> GGUFError {
        GGUFError(code, at: at, message, path: path)
    }

    func need(_ n: Int, _ what: String) throws {
        guard n <= remaining else {
            throw fail(.truncated, at: offset, "\(what) needs \(n) bytes but the file ends at byte \(count)")
        }
    }

    mutating func scalar<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        let v = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func u32(_ what: String) throws -> UInt32 { try scalar(UInt32.self, what) }
    mutating func u64(_ what: String) throws -> UInt64 { try scalar(UInt64.self, what) }

    /// A string: a u64 byte length, then that many bytes of UTF-8.
    mutating func string(_ what: String, limit: Int) throws -> String {
        let at = offset
        let n = try u64("the length of \(what)")
        guard n <= UInt64(limit) else {
            throw fail(.malformed, at: at, "\(what): string length \(n) exceeds the limit of \(limit) bytes")
        }
        guard n <= UInt64(remaining) else {
            throw fail(
                .truncated, at: at,
                "\(what): string of \(n) bytes runs past the end of the file (\(remaining) bytes left)")
        }
        let raw = UnsafeRawBufferPointer(start: base + offset, count: Int(n))
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw fail(.malformed, at: at, "\(what) is not valid UTF-8")
        }
        offset += Int(n)
        return s
    }
}
