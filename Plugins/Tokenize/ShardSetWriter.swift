import Datasets
import Foundation
import StageKit

/// Writes one input's splits as token shards (`tokens/<input>/<split>.bin`) and describes them for `index.json`.
struct ShardSetWriter {
    let outputDir: String
    let encoder: SequenceEncoder
    let tokenWidth: Int
    let options: TokenizeOptions
    let context: StageContext

    /// The input's `index.json` entry and the statistics of each split.
    func write(_ input: LoadedInput) throws -> (JSONValue, [SplitStatistics]) {
        let packed = options.packs(format: input.input.format)
        let labels = packed ? nil : try LabelEncoding(input, kind: options.labelKinds[input.name] ?? .auto)
        if packed && input.input.fields["label"] != nil {
            context.log("data input '\(input.name)' is packed into blocks: its labels are not stored", level: .notice)
        }
        let pairs = !packed && input.input.fields["text_pair"] != nil
        let withIDs = !packed && input.input.fields["id"] != nil
        var seenIDs = Set<String>(), duplicateIDs = 0
        var contents: TokenShard.Contents = [.specialTokensMask, .wordIds]  // version 2: MLM and token tasks need them
        if let labels { contents.insert(labels.isNumeric ? .numericLabels : .classLabels) }
        if pairs { contents.insert(.pairs) }

        var splitEntries: [String: JSONValue] = [:]
        var all: [SplitStatistics] = []
        let totalRows = input.splits.reduce(0) { $0 + $1.indices.count }
        var doneBefore = 0
        for (split, indices) in input.splits {
            let relative = "tokens/\(input.name)/\(split).bin"
            try FileManager.default.createDirectory(
                atPath: outputDir + "/tokens/\(input.name)", withIntermediateDirectories: true)
            let shard = try TokenShardWriter(
                path: outputDir + "/" + relative, tokenWidth: tokenWidth, contents: contents)
            let records = indices.map { input.records[$0] }
            var ids: [String] = []
            var stats = SplitStatistics()
            stats.records = records.count
            let report = { (done: Int) in
                context.progress(
                    doneBefore + done, of: totalRows, unit: packed ? "document" : "row",
                    message: "\(input.name)/\(split)")
            }
            if packed {
                try encoder.encodePacked(
                    records, context: context, progress: report, documentLength: { stats.lengths.append($0) }
                ) { block, mask, words in
                    try shard.append(block, specialMask: mask, wordIds: words)
                    stats.add(sequenceOf: block.count)
                }
            } else {
                try encoder.encodeRows(records, context: context, progress: report) { i, row in
                    let record = records[i]
                    if let labels {
                        let (index, value) = try labels.encode(record)
                        try shard.append(
                            row.ids, classLabel: index, numericLabel: value,
                            firstSegmentLength: pairs ? row.firstSegmentLength : nil, specialMask: row.specialMask,
                            wordIds: row.wordIds)
                        if !labels.isNumeric { stats.labelCounts[record.label!.key, default: 0] += 1 }
                    } else {
                        try shard.append(
                            row.ids, firstSegmentLength: pairs ? row.firstSegmentLength : nil,
                            specialMask: row.specialMask, wordIds: row.wordIds)
                    }
                    stats.add(sequenceOf: row.ids.count)
                    if withIDs, let id = record.id {
                        ids.append(id)
                        if !seenIDs.insert(id).inserted { duplicateIDs += 1 }
                    }
                    stats.lengths.append(row.fullLength)
                    if row.truncated { stats.truncated += 1 }
                    if row.fullLength > (stats.longest?.length ?? -1) {
                        stats.longest = (
                            row.fullLength, "\(input.relative(record.location.file)):\(record.location.line)"
                        )
                    }
                }
            }
            try shard.finish()
            doneBefore += records.count
            var entry: [String: JSONValue] = [
                "file": .string(relative), "sequences": .int(stats.sequences), "tokens": .int(stats.tokens),
                packed ? "documents" : "rows": .int(stats.records), "lengths": stats.lengthSummary,
            ]
            if !packed { entry["truncated"] = .int(stats.truncated) }
            if withIDs {
                // Row ids in shard order (sequence i has ids[i]): a JSON array of strings.
                let idsFile = "tokens/\(input.name)/\(split).ids.json"
                let json = JSONEncoder()
                json.outputFormatting = [.withoutEscapingSlashes]
                try writeOutput(try json.encode(ids) + Data("\n".utf8), to: outputDir + "/" + idsFile)
                entry["ids"] = .string(idsFile)
            }
            if labels?.isNumeric == false {
                entry["label_counts"] = .object(stats.labelCounts.mapValues { .int($0) })
            }
            splitEntries[split] = .object(entry)
            all.append(stats)
            // A row far longer than the others is as often a reading accident (rows merged by a stray quote
            // upstream) as data: say where it is.
            if let longest = stats.longest, longest.length > encoder.maxLength,
                longest.length > 16 * max(stats.median, 8)
            {
                context.log(
                    "\(input.name)/\(split): the row at \(longest.location) has \(longest.length) tokens, "
                        + "\(longest.length / max(stats.median, 1))x the median \(stats.median): check that it is one row",
                    level: .warning)
            }
            if stats.truncated > 0 {
                context.log(
                    "\(input.name)/\(split): \(stats.truncated) of \(stats.records) rows truncated to \(encoder.maxLength) tokens"
                )
            }
        }

        var entry: [String: JSONValue] = [
            "format": .string(input.input.format),
            "fields": .object(input.input.fields.mapValues { .string($0) }),
            "on_error": .string(input.input.onError),
            "files": .array(input.relativeFiles.map { .string($0) }),
            "layout": .string(packed ? "packed" : "rows"),
            "pairs": .bool(pairs),
            "split_source": .string(input.splitSource),
            "splits": .object(splitEntries),
            "split_order": .array(input.splits.map { .string($0.name) }),
            "duplicate_ids": withIDs ? .int(duplicateIDs) : .null,
            "bad_rows": .object([
                "skipped": .int(input.skipped), "first": .array(input.firstErrors.map { .string($0) }),
            ]),
        ]
        if packed {
            entry["text_unit"] = .string(input.input.format == "text" ? options.textUnit.rawValue : "row")
            entry["document_separator"] = encoder.documentSeparator.map { .int(Int($0)) } ?? .null
        }
        if let labels {
            entry["labels"] = labels.indexEntry
        } else {
            entry["labels"] = .null
        }
        return (.object(entry), all)
    }
}

/// How an input's labels are stored: class indices into a sorted vocabulary, or numbers.
struct LabelEncoding {
    let isNumeric: Bool
    /// Class labels sorted by their UTF-8 bytes; index = the value stored in the shard.
    let vocabulary: [String]
    private let indexByKey: [String: Int32]

    /// nil when the input maps no label field.
    init?(_ input: LoadedInput, kind: TokenizeOptions.LabelKind) throws {
        guard input.input.fields["label"] != nil else { return nil }
        switch kind {
        case .class: isNumeric = false
        case .number: isNumeric = true
        case .auto:
            isNumeric =
                input.records.allSatisfy {
                    if case .number = $0.label { true } else { false }
                }
                && input.records.contains {
                    if case .number(let x) = $0.label { x.rounded() != x } else { false }
                }
        }
        if isNumeric {
            vocabulary = []
            indexByKey = [:]
        } else {
            vocabulary = Set(input.records.compactMap { $0.label?.key })
                .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            indexByKey = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
        }
    }

    /// The shard's label fields for `record`: a class index (-1 if none) and a number (NaN if none).
    func encode(_ record: Record) throws -> (Int32, Float) {
        guard let label = record.label else { return (-1, .nan) }
        if !isNumeric { return (indexByKey[label.key] ?? -1, .nan) }
        switch label {
        case .number(let x): return (-1, Float(x))
        case .string(let s):
            guard let x = Double(s.trimmingCharacters(in: .whitespaces)), x.isFinite else {
                throw StageFailure(
                    "\(record.location): error: label '\(s)' is not a number (hint: this input's labels are read as "
                        + "numbers; set 'labels: { <input>: class }' in the stage's 'with:' for class labels)")
            }
            return (-1, Float(x))
        }
    }

    var indexEntry: JSONValue {
        isNumeric ? ["kind": "number"] : ["kind": "class", "vocabulary": .array(vocabulary.map { .string($0) })]
    }
}
