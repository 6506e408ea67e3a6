import Foundation

/// The binary file of token-id sequences that the tokenize stage writes and the training stages read: one
/// file per input and split (`tokens/<input>/<split>.bin` in its artifact; docs/token-shards.md), memory-mapped
/// for random access.
///
/// Layout (all integers little-endian):
/// ```
/// offset  size  field
///      0     8  magic "FTTOKSHD"
///      8     4  version: 1, or 2 when flag 8 or 16 is set
///
///     12     4  token width in bytes: 2 (ids < 65536) or 4
///     16     4  flags: 1 = class labels (Int32 index, -1 = none), 2 = numeric labels (Float32),
///               4 = pairs (UInt32 length of the first segment per sequence),
///               8 = special-tokens mask (version 2), 16 = word ids (version 2)
///     20     4  reserved (0)
///     24     8  C: number of sequences
///     32     8  N: number of tokens
///     40     8  byte offset of the tables (= 48 + N * width)
///     48        tokens            [N] x width
///  table        sequence starts   [C + 1] UInt64: sequence i is tokens[start[i] ..< start[i + 1]]
///               labels            [C] Int32 or Float32, if flag 1 or 2
///               first lengths     [C] UInt32, if flag 4
///               special mask      [N] UInt8 (1: a special token), if flag 8, then zero padding to 4 bytes
///               word ids          [N] Int32 (-1: no word), if flag 16
/// ```
/// Version 2 only adds the two per-token tables; a file without them is written as version 1, so readers of
/// version 1 keep reading what they could read before, and this reader reads both.
/// Tokens come first so a writer can stream them; the header is patched when the writer finishes. A reader
/// checks the magic, the version and that the file size is exactly what the header implies, so a truncated
/// or foreign file is an error, not garbage. Label vocabularies and statistics belong in the stage's JSON index.
public enum TokenShard {
    public static let magic = Array("FTTOKSHD".utf8)
    /// The newest version this build writes and reads (version 1 files are read too).
    public static let version: UInt32 = 2
    static let headerSize = 48

    /// What, besides tokens, each sequence carries.
    public struct Contents: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let classLabels = Contents(rawValue: 1)
        public static let numericLabels = Contents(rawValue: 2)
        public static let pairs = Contents(rawValue: 4)
        /// Per token: 1 for the tokenizer's special tokens (`[CLS]`, `[SEP]`, …), never masked by MLM.
        public static let specialTokensMask = Contents(rawValue: 8)
        /// Per token: the index of the word (pre-tokenizer piece) it came from within its text, -1 for special
        /// tokens; whole-word masking and token classification group tokens by it.
        public static let wordIds = Contents(rawValue: 16)

        /// The flags of version 2.
        static let perToken: Contents = [.specialTokensMask, .wordIds]
    }

    /// The version a file with `contents` is written as.
    static func version(for contents: Contents) -> UInt32 { contents.isDisjoint(with: .perToken) ? 1 : 2 }
}

/// Writes a token shard sequence by sequence (tokens are streamed to disk; per-sequence tables, 8-16 bytes
/// each, are kept in memory), to `path.tmp`, renamed to `path` by `finish()`.
public final class TokenShardWriter {
    public let path: String
    public let tokenWidth: Int
    public let contents: TokenShard.Contents
    private let handle: FileHandle
    private var starts: [UInt64] = [0]
    private var classLabels: [Int32] = []
    private var numericLabels: [Float] = []
    private var firstLengths: [UInt32] = []
    private var specialMask: [UInt8] = []
    private var wordIds: [Int32] = []
    private var buffer: [UInt8] = []
    private var finished = false

    /// `tokenWidth` is 2 for vocabularies up to 65,536 ids, else 4.
    public init(path: String, tokenWidth: Int, contents: TokenShard.Contents = []) throws {
        guard tokenWidth == 2 || tokenWidth == 4 else {
            throw DatasetError(.invalidArgument, file: path, message: "token width must be 2 or 4, not \(tokenWidth)")
        }
        guard !(contents.contains(.classLabels) && contents.contains(.numericLabels)) else {
            throw DatasetError(.invalidArgument, file: path, message: "labels are either class indices or numbers")
        }
        self.path = path
        self.tokenWidth = tokenWidth
        self.contents = contents
        guard FileManager.default.createFile(atPath: path + ".tmp", contents: nil),
            let handle = FileHandle(forWritingAtPath: path + ".tmp")
        else {
            throw DatasetError(.unreadable, file: path + ".tmp", message: "cannot create the file")
        }
        self.handle = handle
        try write([UInt8](repeating: 0, count: TokenShard.headerSize))
    }

    deinit {
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path + ".tmp")
        }
    }

    /// Sequences written so far.
    public var count: Int { starts.count - 1 }

    /// Appends one sequence. Give `classLabel` (-1: none) or `numericLabel` as the shard's contents say, and
    /// `firstSegmentLength` (the tokens of the first text, token type 0) for pairs, and one entry per token of
    /// `specialMask` and `wordIds` when the shard has them.
    public func append(
        _ tokens: [UInt32], classLabel: Int32 = -1, numericLabel: Float = .nan, firstSegmentLength: Int? = nil,
        specialMask: [UInt8]? = nil, wordIds: [Int32]? = nil
    ) throws {
        if contents.contains(.specialTokensMask) {
            guard let specialMask, specialMask.count == tokens.count else {
                throw DatasetError(
                    .invalidArgument, file: path, message: "sequence \(count): the special-tokens mask must have one entry per token")
            }
            self.specialMask += specialMask
        }
        if contents.contains(.wordIds) {
            guard let wordIds, wordIds.count == tokens.count else {
                throw DatasetError(.invalidArgument, file: path, message: "sequence \(count): word ids must have one entry per token")
            }
            self.wordIds += wordIds
        }
        let limit = tokenWidth == 2 ? UInt32(UInt16.max) : UInt32.max
        if let bad = tokens.first(where: { $0 > limit }) {
            throw DatasetError(
                .invalidArgument, file: path, message: "token id \(bad) does not fit in \(tokenWidth) bytes",
                hint: "use a token width of 4")
        }
        for id in tokens {
            buffer.append(UInt8(truncatingIfNeeded: id))
            buffer.append(UInt8(truncatingIfNeeded: id >> 8))
            if tokenWidth == 4 {
                buffer.append(UInt8(truncatingIfNeeded: id >> 16))
                buffer.append(UInt8(truncatingIfNeeded: id >> 24))
            }
        }
        if buffer.count >= 1 << 20 { try flush() }
        starts.append(starts.last! + UInt64(tokens.count))
        if contents.contains(.classLabels) { classLabels.append(classLabel) }
        if contents.contains(.numericLabels) { numericLabels.append(numericLabel) }
        if contents.contains(.pairs) {
            let first = firstSegmentLength ?? tokens.count
            guard (0...tokens.count).contains(first) else {
                throw DatasetError(
                    .invalidArgument, file: path,
                    message: "first segment length \(first) is outside 0...\(tokens.count)")
            }
            firstLengths.append(UInt32(first))
        }
    }

    /// Writes the tables and the header, and renames the file into place.
    public func finish() throws {
        try flush()
        let tokenCount = starts.last!
        let tableOffset = UInt64(TokenShard.headerSize) + tokenCount * UInt64(tokenWidth)
        var table: [UInt8] = []
        table.reserveCapacity(starts.count * 8 + count * 8)
        for s in starts { append64(s, to: &table) }
        for l in classLabels { append32(UInt32(bitPattern: l), to: &table) }
        for x in numericLabels { append32(x.bitPattern, to: &table) }
        for f in firstLengths { append32(f, to: &table) }
        if contents.contains(.specialTokensMask) {
            table += specialMask
            while table.count % 4 != 0 { table.append(0) }
        }
        for w in wordIds { append32(UInt32(bitPattern: w), to: &table) }
        try write(table)
        var header = TokenShard.magic
        append32(TokenShard.version(for: contents), to: &header)
        append32(UInt32(tokenWidth), to: &header)
        append32(contents.rawValue, to: &header)
        append32(0, to: &header)
        append64(UInt64(count), to: &header)
        append64(tokenCount, to: &header)
        append64(tableOffset, to: &header)
        do {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: header)
            try handle.synchronize()
            try handle.close()
            finished = true
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        } catch let error as DatasetError {
            throw error
        } catch {
            throw DatasetError(.unreadable, file: path, message: "cannot finish the shard: \(error)")
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: [UInt8]) throws {
        do { try handle.write(contentsOf: bytes) } catch {
            throw DatasetError(.unreadable, file: path + ".tmp", message: "write failed: \(error)")
        }
    }
}

/// Random access to a token shard, memory-mapped.
public struct TokenShardReader: Sendable {
    public let path: String
    public let count: Int
    public let tokenCount: Int
    public let tokenWidth: Int
    public let contents: TokenShard.Contents
    private let data: Data
    private let tableOffset: Int

    public init(path: String) throws {
        self.path = path
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw DatasetError(.fileNotFound, file: path, message: "cannot read the token shard: \(error)")
        }
        func fail(_ message: String) -> DatasetError {
            DatasetError(
                .invalidArgument, file: path, message: message,
                hint: "the shard is damaged or not a token shard: rerun the tokenize stage")
        }
        guard data.count >= TokenShard.headerSize, Array(data.prefix(8)) == TokenShard.magic else {
            throw fail("not a token shard (bad magic number)")
        }
        let version = Self.u32(data, 8)
        guard version == 1 || version == TokenShard.version else {
            throw fail("token shard version \(version); this build reads versions 1 and \(TokenShard.version)")
        }
        tokenWidth = Int(Self.u32(data, 12))
        contents = TokenShard.Contents(rawValue: Self.u32(data, 16))
        guard contents.rawValue < 32, version == 2 || contents.isDisjoint(with: .perToken) else {
            throw fail("flags \(contents.rawValue) are not valid in a version \(version) shard")
        }
        let c = Self.u64(data, 24), n = Self.u64(data, 32), table = Self.u64(data, 40)
        guard tokenWidth == 2 || tokenWidth == 4, c < 1 << 40, n < 1 << 48 else { throw fail("corrupt header") }
        count = Int(c)
        tokenCount = Int(n)
        tableOffset = Int(table)
        var expected = TokenShard.headerSize + tokenCount * tokenWidth + (count + 1) * 8
        if contents.contains(.classLabels) || contents.contains(.numericLabels) { expected += count * 4 }
        if contents.contains(.pairs) { expected += count * 4 }
        if contents.contains(.specialTokensMask) { expected += (tokenCount + 3) / 4 * 4 }
        if contents.contains(.wordIds) { expected += tokenCount * 4 }
        guard tableOffset == TokenShard.headerSize + tokenCount * tokenWidth, data.count == expected else {
            throw fail("size \(data.count) bytes, header implies \(expected)")
        }
        // Starts must rise from 0 to N, so that no sequence reads outside the tokens.
        var previous: UInt64 = 0
        for i in 0...count {
            let start = Self.u64(data, tableOffset + i * 8)
            guard start >= previous, start <= n, i > 0 || start == 0 else {
                throw fail("sequence table entry \(i) (\(start)) is out of order")
            }
            previous = start
        }
        guard previous == n else { throw fail("sequence table ends at \(previous), not at N = \(n)") }
    }

    /// The token ids of sequence `i` (0 ..< count).
    public func tokens(at i: Int) -> [UInt32] {
        precondition((0..<count).contains(i), "sequence index out of range")
        let start = Int(Self.u64(data, tableOffset + i * 8)), end = Int(Self.u64(data, tableOffset + (i + 1) * 8))
        let base = TokenShard.headerSize + start * tokenWidth
        return data.withUnsafeBytes { raw in
            (0..<(end - start)).map { k -> UInt32 in
                let p = base + k * tokenWidth
                if tokenWidth == 2 {
                    return UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt16.self)))
                }
                return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self))
            }
        }
    }

    /// The length of sequence `i`, without reading its tokens.
    public func length(at i: Int) -> Int {
        Int(Self.u64(data, tableOffset + (i + 1) * 8) - Self.u64(data, tableOffset + i * 8))
    }

    /// The class label index of sequence `i` (-1: none), if the shard has class labels.
    public func classLabel(at i: Int) -> Int32? {
        guard contents.contains(.classLabels) else { return nil }
        return Int32(bitPattern: Self.u32(data, labelsOffset + i * 4))
    }

    /// The numeric label of sequence `i`, if the shard has numeric labels.
    public func numericLabel(at i: Int) -> Float? {
        guard contents.contains(.numericLabels) else { return nil }
        return Float(bitPattern: Self.u32(data, labelsOffset + i * 4))
    }

    /// How many leading tokens of sequence `i` belong to the first text (token type 0), if the shard has pairs.
    public func firstSegmentLength(at i: Int) -> Int? {
        guard contents.contains(.pairs) else { return nil }
        let hasLabels = contents.contains(.classLabels) || contents.contains(.numericLabels)
        return Int(Self.u32(data, labelsOffset + (hasLabels ? count * 4 : 0) + i * 4))
    }

    /// The special-tokens mask of sequence `i` (1: special), if the shard has one.
    public func specialTokensMask(at i: Int) -> [UInt8]? {
        guard contents.contains(.specialTokensMask) else { return nil }
        let (start, end) = bounds(i)
        return Array(data[(perTokenOffset + start)..<(perTokenOffset + end)])
    }

    /// The word ids of sequence `i` (-1: no word), if the shard has them.
    public func wordIds(at i: Int) -> [Int32]? {
        guard contents.contains(.wordIds) else { return nil }
        let (start, end) = bounds(i)
        let base = perTokenOffset + (contents.contains(.specialTokensMask) ? (tokenCount + 3) / 4 * 4 : 0)
        return (start..<end).map { Int32(bitPattern: Self.u32(data, base + $0 * 4)) }
    }

    private func bounds(_ i: Int) -> (Int, Int) {
        precondition((0..<count).contains(i), "sequence index out of range")
        return (Int(Self.u64(data, tableOffset + i * 8)), Int(Self.u64(data, tableOffset + (i + 1) * 8)))
    }

    /// Where the per-token tables begin: after the per-sequence ones.
    private var perTokenOffset: Int {
        let hasLabels = contents.contains(.classLabels) || contents.contains(.numericLabels)
        return labelsOffset + (hasLabels ? count * 4 : 0) + (contents.contains(.pairs) ? count * 4 : 0)
    }

    private var labelsOffset: Int { tableOffset + (count + 1) * 8 }

    private static func u32(_ data: Data, _ offset: Int) -> UInt32 {
        data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    private static func u64(_ data: Data, _ offset: Int) -> UInt64 {
        data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }
}

private func append32(_ v: UInt32, to bytes: inout [UInt8]) {
    for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) }
}

private func append64(_ v: UInt64, to bytes: inout [UInt8]) {
    for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
}
