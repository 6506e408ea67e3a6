import Foundation
import Testing

@testable import Datasets

@Suite struct TokenShardTests {
    static let sequences: [[UInt32]] = [[101, 7592, 102], [], [101, 2023, 2003, 102, 2178, 102], [0, 65535]]

    @Test(
        arguments: [
            (2, TokenShard.Contents()), (4, .classLabels), (2, .numericLabels), (4, [.classLabels, .pairs]),
            (2, .pairs),
        ] as [(Int, TokenShard.Contents)])
    func roundTrips(width: Int, contents: TokenShard.Contents) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/s.tokshard"
        let writer = try TokenShardWriter(path: path, tokenWidth: width, contents: contents)
        for (i, tokens) in Self.sequences.enumerated() {
            try writer.append(
                tokens, classLabel: Int32(i) - 1, numericLabel: Float(i) * 0.5,
                firstSegmentLength: tokens.count / 2)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        try writer.finish()
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))

        let reader = try TokenShardReader(path: path)
        #expect(reader.count == 4 && reader.tokenCount == 11 && reader.tokenWidth == width)
        #expect((0..<4).map(reader.tokens(at:)) == Self.sequences)
        #expect((0..<4).map(reader.length(at:)) == [3, 0, 6, 2])
        #expect(
            (0..<4).map(reader.classLabel(at:))
                == (contents.contains(.classLabels) ? [-1, 0, 1, 2] : [nil, nil, nil, nil]))
        #expect(
            (0..<4).map(reader.numericLabel(at:))
                == (contents.contains(.numericLabels) ? [0, 0.5, 1, 1.5] : [nil, nil, nil, nil]))
        #expect(
            (0..<4).map(reader.firstSegmentLength(at:))
                == (contents.contains(.pairs) ? [1, 0, 3, 1] : [nil, nil, nil, nil]))
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        let tables = 5 * 8 + (contents.isEmpty ? 0 : contents == [.classLabels, .pairs] ? 32 : 16)
        #expect(size == 48 + 11 * width + tables)
    }

    @Test(arguments: [
        [.specialTokensMask, .wordIds], [.specialTokensMask], [.wordIds, .classLabels, .pairs],
    ] as [TokenShard.Contents])
    func versionTwoCarriesTheMaskAndWordIds(contents: TokenShard.Contents) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/v2.tokshard"
        let writer = try TokenShardWriter(path: path, tokenWidth: 2, contents: contents)
        let masks = Self.sequences.map { s in s.indices.map { UInt8($0 == 0 || $0 == s.count - 1 ? 1 : 0) } }
        let words = Self.sequences.map { s in s.indices.map { $0 == 0 || $0 == s.count - 1 ? -1 : Int32(($0 - 1) / 2) } }
        for (i, tokens) in Self.sequences.enumerated() {
            try writer.append(
                tokens, classLabel: Int32(i), firstSegmentLength: tokens.count / 2, specialMask: masks[i],
                wordIds: words[i])
        }
        try writer.finish()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes[8] == 2)
        let reader = try TokenShardReader(path: path)
        #expect((0..<4).map(reader.tokens(at:)) == Self.sequences)
        #expect((0..<4).map(reader.specialTokensMask(at:)) == (contents.contains(.specialTokensMask) ? masks : [nil, nil, nil, nil]))
        #expect((0..<4).map(reader.wordIds(at:)) == (contents.contains(.wordIds) ? words : [nil, nil, nil, nil]))
        if contents.contains(.classLabels) { #expect((0..<4).map(reader.classLabel(at:)) == [0, 1, 2, 3]) }
        if contents.contains(.pairs) { #expect((0..<4).map(reader.firstSegmentLength(at:)) == [1, 0, 3, 1]) }
        // 11 tokens: mask 11 bytes padded to 12, word ids 44 bytes.
        let perToken = (contents.contains(.specialTokensMask) ? 12 : 0) + (contents.contains(.wordIds) ? 44 : 0)
        let perSequence = (contents.contains(.classLabels) ? 16 : 0) + (contents.contains(.pairs) ? 16 : 0)
        #expect(bytes.count == 48 + 22 + 40 + perSequence + perToken)
        #expect(throws: DatasetError.self) { try writer.append([1, 2], specialMask: [1]) }
    }

    @Test func versionOneFilesStayVersionOneAndCannotClaimPerTokenTables() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/v1.tokshard"
        let writer = try TokenShardWriter(path: path, tokenWidth: 2, contents: .classLabels)
        try writer.append([1, 2, 3], classLabel: 0)
        try writer.finish()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes[8] == 1)
        bytes[16] = 1 | 8  // a version 1 header claiming a special-tokens mask
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DatasetError.self) { try TokenShardReader(path: path) }
        #expect(error?.message.contains("not valid in a version 1 shard") == true)
    }

    @Test func emptyShard() throws {
        let dir = try TemporaryDirectory()
        let writer = try TokenShardWriter(path: dir.path + "/e.tokshard", tokenWidth: 2)
        try writer.finish()
        let reader = try TokenShardReader(path: dir.path + "/e.tokshard")
        #expect(reader.count == 0 && reader.tokenCount == 0)
    }

    @Test func writerRejectsBadInput() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: DatasetError.self) { try TokenShardWriter(path: dir.path + "/x", tokenWidth: 3) }
        #expect(throws: DatasetError.self) {
            try TokenShardWriter(path: dir.path + "/x", tokenWidth: 2, contents: [.classLabels, .numericLabels])
        }
        let writer = try TokenShardWriter(path: dir.path + "/x", tokenWidth: 2, contents: .pairs)
        #expect(throws: DatasetError.self) { try writer.append([70000]) }
        #expect(throws: DatasetError.self) { try writer.append([1, 2], firstSegmentLength: 3) }
    }

    @Test func abandonedWriterLeavesNoFile() throws {
        let dir = try TemporaryDirectory()
        do {
            let writer = try TokenShardWriter(path: dir.path + "/a.tokshard", tokenWidth: 2)
            try writer.append([1, 2, 3])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// Damage to a valid shard (two sequences of three 2-byte tokens) → the reader's complaint.
    enum Damage: String, CaseIterable {
        case truncated, extended, magic, version, width, starts, short

        func apply(_ d: inout [UInt8]) {
            switch self {
            case .truncated: d.removeLast()
            case .extended: d.append(0)
            case .magic: d[0] = UInt8(ascii: "X")
            case .version: d[8] = 3
            case .width: d[12] = 3
            case .starts: d[48 + 6 * 2 + 8] = 9  // the second sequence's start
            case .short: d = Array(d.prefix(20))
            }
        }

        var message: String {
            switch self {
            case .truncated, .extended: return "header implies"
            case .magic, .short: return "bad magic"
            case .version: return "version 3"
            case .width: return "corrupt header"
            case .starts: return "out of order"
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func damagedShardsAreRejected(damage: Damage) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/d.tokshard"
        let writer = try TokenShardWriter(path: path, tokenWidth: 2)
        try writer.append([1, 2, 3])
        try writer.append([4, 5, 6])
        try writer.finish()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        damage.apply(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DatasetError.self) { try TokenShardReader(path: path) }
        #expect(error?.message.contains(damage.message) == true, "\(error?.message ?? "")")
        #expect(error?.file == path)
    }
}
