import Datasets
import Foundation
import StageKit
import Tokenizers

/// One row as it goes into a shard.
struct EncodedRow {
    /// Token ids with the tokenizer's special tokens, truncated to `maxLength`.
    var ids: [UInt32]
    /// Tokens of the first text (token type 0) at the start of `ids`, for pairs.
    var firstSegmentLength: Int
    /// The length before truncation.
    var fullLength: Int
    /// Per token: 1 for special tokens (token shard version 2).
    var specialMask: [UInt8]
    /// Per token: HF's word id, -1 for none (token shard version 2).
    var wordIds: [Int32]
    var truncated: Bool { fullLength > ids.count }
}

/// Encodes records with a tokenizer: one sequence per row (truncated to `maxLength` exactly as HF truncates), or
/// a corpus packed into blocks of `maxLength` tokens.
struct SequenceEncoder {
    /// Encodes without truncation or padding (full lengths; packing).
    let full: Tokenizer
    /// The same with truncation at `maxLength` (the file's strategy and direction, else HF's defaults).
    let truncating: Tokenizer
    let maxLength: Int
    let threads: Int
    let truncatesFromLeft: Bool
    /// Appended after each packed document when the tokenizer adds no special tokens of its own.
    let documentSeparator: UInt32?
    static let batchSize = 2048

    init(tokenizer: Tokenizer, maxLength: Int, threads: Int) {
        var full = tokenizer
        full.truncation = nil
        full.padding = nil
        var truncating = full
        truncating.truncation = TruncationParams(
            maxLength: maxLength, strategy: tokenizer.truncation?.strategy ?? .longestFirst,
            direction: tokenizer.truncation?.direction ?? .right)
        self.full = full
        self.truncating = truncating
        self.maxLength = maxLength
        self.threads = threads
        truncatesFromLeft = truncating.truncation?.direction == .left
        if (tokenizer.postProcessor?.addedTokens(isPair: false) ?? 0) > 0 {
            documentSeparator = nil
        } else {
            documentSeparator = ["</s>", "<|endoftext|>", "[SEP]", "<eos>"].lazy.compactMap { tokenizer.tokenToId($0) }
                .first.map { UInt32($0) }
        }
    }

    /// Encodes `records` in order, in batches, calling `sink` for each; `progress` after each batch.
    func encodeRows(
        _ records: [Record], context: StageContext, progress: (Int) -> Void, sink: (Int, EncodedRow) throws -> Void
    ) throws {
        let pairs = records.first?.pair != nil
        var start = 0
        while start < records.count {
            if context.stopRequested { throw StageStopped() }
            let batch = Array(records[start..<min(records.count, start + Self.batchSize)])
            let texts = batch.map(\.text)
            let pairTexts = pairs ? batch.map { $0.pair ?? "" } : nil
            let encodings = try located(batch) { try full.encodeBatch(texts, pairs: pairTexts, threads: threads) }
            // Single texts are cut here, exactly as HF truncates (the sequence's tokens, then the template's special
            // tokens around them); pairs (LongestFirst between two texts) are encoded again with truncation.
            let long = pairs ? encodings.indices.filter { encodings[$0].count > maxLength } : []
            var cut: [Int: Encoding] = [:]
            if !long.isEmpty {
                let subset = long.map { batch[$0] }
                let shortened = try located(subset) {
                    try truncating.encodeBatch(
                        long.map { texts[$0] }, pairs: pairTexts.map { p in long.map { p[$0] } }, threads: threads)
                }
                for (k, i) in long.enumerated() { cut[i] = shortened[k] }
            }
            for (i, encoding) in encodings.enumerated() {
                let kept = cut[i] ?? encoding
                var ids = kept.ids.map { UInt32(truncatingIfNeeded: $0) }
                var mask = Self.specialMask(kept)
                var words = Self.wordIds(kept)
                if !pairs, ids.count > maxLength {
                    ids = truncated(ids, sequenceIds: encoding.sequenceIds)
                    mask = truncated(mask, sequenceIds: encoding.sequenceIds)
                    words = truncated(words, sequenceIds: encoding.sequenceIds)
                }
                let first = pairs ? kept.typeIds.prefix { $0 == 0 }.count : ids.count
                try sink(
                    start + i,
                    EncodedRow(
                        ids: ids, firstSegmentLength: first, fullLength: encoding.count, specialMask: mask,
                        wordIds: words))
            }
            start += batch.count
            progress(start)
        }
    }

    /// HF's truncation of a single text to `maxLength`: the template's special tokens (no sequence id) before and
    /// after the text's tokens stay, the text keeps its first (or, truncating from the left, last) tokens.
    func truncated<T>(_ ids: [T], sequenceIds: [Int?]) -> [T] {
        guard let firstText = sequenceIds.firstIndex(where: { $0 != nil }),
            let lastText = sequenceIds.lastIndex(where: { $0 != nil })
        else { return Array(ids.prefix(maxLength)) }
        let before = ids[..<firstText], after = ids[(lastText + 1)...]
        let room = max(0, maxLength - before.count - after.count)
        let text = ids[firstText...lastText]
        let kept = truncatesFromLeft ? text.suffix(room) : text.prefix(room)
        return Array(before) + Array(kept) + Array(after)
    }

    /// Encodes documents (each with the tokenizer's special tokens, or followed by `documentSeparator`),
    /// concatenates them and cuts the stream into blocks of `maxLength` tokens; the last block may be shorter.
    /// HF's `run_mlm`/`run_clm` `group_texts` does the same (it drops the remainder; we keep it).
    ///
    /// `sink` gets each block's ids, special-tokens mask and word ids (each document's own; the separator and
    /// special tokens between documents have none, so no word spans two documents).
    func encodePacked(
        _ records: [Record], context: StageContext, progress: (Int) -> Void, documentLength: (Int) -> Void,
        sink: ([UInt32], [UInt8], [Int32]) throws -> Void
    ) throws {
        var block: [UInt32] = []
        var blockMask: [UInt8] = []
        var blockWords: [Int32] = []
        block.reserveCapacity(maxLength)
        var start = 0
        while start < records.count {
            if context.stopRequested { throw StageStopped() }
            let batch = Array(records[start..<min(records.count, start + Self.batchSize / 8)])
            let encodings = try located(batch) { try full.encodeBatch(batch.map(\.text), threads: threads) }
            for encoding in encodings {
                var ids = encoding.ids.map { UInt32(truncatingIfNeeded: $0) }
                var mask = Self.specialMask(encoding)
                var words = Self.wordIds(encoding)
                if let documentSeparator {
                    ids.append(documentSeparator)
                    mask.append(1)
                    words.append(-1)
                }
                documentLength(ids.count)
                var k = 0
                while k < ids.count {
                    let take = min(maxLength - block.count, ids.count - k)
                    block += ids[k..<(k + take)]
                    blockMask += mask[k..<(k + take)]
                    blockWords += words[k..<(k + take)]
                    k += take
                    if block.count == maxLength {
                        try sink(block, blockMask, blockWords)
                        block.removeAll(keepingCapacity: true)
                        blockMask.removeAll(keepingCapacity: true)
                        blockWords.removeAll(keepingCapacity: true)
                    }
                }
            }
            start += batch.count
            progress(start)
        }
        if !block.isEmpty { try sink(block, blockMask, blockWords) }
    }

    static func specialMask(_ e: Encoding) -> [UInt8] { e.specialTokensMask.map { UInt8($0) } }

    static func wordIds(_ e: Encoding) -> [Int32] { e.wordIds.map { $0.map { Int32($0) } ?? -1 } }

    /// Runs a batch encode; on failure, finds the record that fails alone and names its file:line.
    private func located<T>(_ batch: [Record], _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            for record in batch {
                do {
                    _ = try truncating.encode(record.text, pair: record.pair)
                } catch {
                    throw StageFailure("\(record.location): error: cannot encode the row: \(error)")
                }
            }
            throw StageFailure("cannot encode a batch of \(batch.count) rows: \(error)")
        }
    }
}
