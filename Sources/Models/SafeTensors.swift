import Foundation
import Tensor

#if canImport(Glibc)
    import Glibc
#endif

/// A `.safetensors` file opened for reading: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the raw data.
///
/// The file is memory-mapped; tensors are copied out on request (so the mapping can be closed). Every structural
/// problem (truncation, bad JSON, offsets out of range or overlapping the header, shape/size disagreement) throws
/// a ``ModelError`` rather than trapping.
public final class SafeTensorsFile {
    public struct Entry: Sendable {
        public var dtype: String
        public var shape: [Int]
        /// Byte range within the data section.
        public var range: Range<Int>
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let dataStart: Int

    /// Names of all tensors, sorted.
    public var names: [String] { entries.keys.sorted() }

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelError(.io, "cannot open: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError(.io, "cannot stat", path: path) }
        let length = Int(st.st_size)
        guard length >= 8 else { throw ModelError(.malformedFile, "file too short (\(length) bytes)", path: path) }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw ModelError(.io, "mmap failed: \(String(cString: strerror(errno)))", path: path)
        }
        base = UnsafeRawPointer(mapped)
        mappedLength = length
        do {
            (entries, metadata, dataStart) = try SafeTensorsFile.parseHeader(base, length: length, path: path)
        } catch {
            munmap(mapped, length)
            throw error
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) }

    private static func parseHeader(_ base: UnsafeRawPointer, length: Int, path: String) throws
        -> ([String: Entry], [String: String], Int)
    {
        var headerLength: UInt64 = 0
        memcpy(&headerLength, base, 8)
        headerLength = UInt64(littleEndian: headerLength)
        guard headerLength <= UInt64(length - 8) else {
            throw ModelError(.malformedFile, "header length \(headerLength) exceeds the file", path: path)
        }
        let headerData = Data(bytes: base + 8, count: Int(headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw ModelError(.malformedFile, "header is not a JSON object", path: path)
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = length - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else {
                    throw ModelError(.malformedFile, "__metadata__ must map strings to strings", path: path)
                }
                metadata = m
                continue
            }
            guard let e = value as? [String: Any], let dtype = e["dtype"] as? String,
                let shape = (e["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                let offsets = (e["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                offsets.count == 2, shape.count == (e["shape"] as? [Any])?.count
            else {
                throw ModelError(
                    .malformedFile, "tensor '\(name)': missing or malformed dtype/shape/data_offsets",
                    path: path)
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw ModelError(
                    .malformedFile, "tensor '\(name)': data_offsets \(offsets) outside the data section",
                    path: path)
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw ModelError(.malformedFile, "tensor '\(name)': negative dimension in \(shape)", path: path)
            }
            if let size = dtypeSize(dtype), shape.reduce(1, *) * size != offsets[1] - offsets[0] {
                throw ModelError(
                    .malformedFile,
                    "tensor '\(name)': \(offsets[1] - offsets[0]) bytes for \(dtype) \(shape)", path: path)
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        return (entries, metadata, dataStart)
    }

    static func dtypeSize(_ dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64": 8
        case "F32", "I32", "U32": 4
        case "F16", "BF16", "I16", "U16": 2
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": 1
        default: nil
        }
    }

    private func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else {
            throw ModelError(.missingTensor, "no tensor named '\(name)'", path: path)
        }
        return e
    }

    /// The named tensor as float32 (converting from F16, BF16 or F64), copied out of the file.
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        let n = e.shape.reduce(1, *)
        let out = Tensor(zeros: e.shape)
        let src = base + dataStart + e.range.lowerBound
        let dst = out.pointer
        switch e.dtype {
        case "F32":
            memcpy(dst, src, n * 4)
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: dst[i].bitPattern)) }
        case "F16":
            for i in 0..<n {
                dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case "BF16":
            for i in 0..<n {
                dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case "F64":
            for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        default:
            throw ModelError(
                .unsupportedDType, "tensor '\(name)' has dtype \(e.dtype), expected a float type",
                path: path)
        }
        return out
    }

    /// The named integer tensor (I64 or I32) as Int32 values, e.g. token ids; throws if a value does not fit.
    public func integers(_ name: String) throws -> (values: [Int32], shape: [Int]) {
        let e = try entry(name)
        let n = e.shape.reduce(1, *)
        let src = base + dataStart + e.range.lowerBound
        var values = [Int32](repeating: 0, count: n)
        switch e.dtype {
        case "I64":
            for i in 0..<n {
                let v = Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                guard let w = Int32(exactly: v) else {
                    throw ModelError(.malformedFile, "tensor '\(name)': value \(v) does not fit Int32", path: path)
                }
                values[i] = w
            }
        case "I32":
            for i in 0..<n { values[i] = Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        default:
            throw ModelError(
                .unsupportedDType, "tensor '\(name)' has dtype \(e.dtype), expected I64 or I32", path: path)
        }
        return (values, e.shape)
    }

    /// Writes float32 tensors (and string metadata) as a `.safetensors` file, atomically (temporary file + rename).
    /// Names are written in sorted order with 8-byte aligned data, as the Python library does.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
        to path: String
    ) throws {
        var seen = Set<String>()
        for (name, _) in tensors where !seen.insert(name).inserted {
            throw ModelError(.invalidConfig, "duplicate tensor name '\(name)'", path: path)
        }
        let sorted = tensors.sorted { $0.name < $1.name }
        var header: [String: Any] = [:]
        var offset = 0
        for (name, t) in sorted {
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]]
            offset += 4 * t.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, t) in sorted {
            #if _endian(little)
                // One copy per tensor: a checkpoint of a 22M-parameter model with its Adam moments is 270 MB.
                data.append(UnsafeBufferPointer(start: t.pointer, count: t.count))
            #else
                for i in 0..<t.count {
                    withUnsafeBytes(of: t.pointer[i].bitPattern.littleEndian) { data.append(contentsOf: $0) }
                }
            #endif
        }
        let url = URL(fileURLWithPath: path)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ModelError(.io, "cannot write: \(error.localizedDescription)", path: path)
        }
    }
}
