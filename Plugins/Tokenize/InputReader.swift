import Datasets
import Foundation
import StageKit

/// One data input, read and split: its good records in reading order and, per split, which of them it holds.
struct LoadedInput: Sendable {
    static let splitNames = ["train", "validation", "test"]

    let name: String
    let input: DataInput
    /// The folder the input's files are shown relative to in `index.json` (their longest common folder).
    let base: String
    var records: [Record] = []
    /// Split name → record indices, ascending; only the splits this input has (train, validation, test order).
    var splits: [(name: String, indices: [Int])] = []
    /// `files` (named train/validation/test) or `fractions`.
    var splitSource = "fractions"
    var skipped = 0
    /// The first skipped rows' errors, files relative to `base`.
    var firstErrors: [String] = []

    /// The input's files relative to `base`.
    var relativeFiles: [String] { input.files.map(relative) }

    func relative(_ path: String) -> String {
        path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    }

    func records(in split: String) -> [Record] {
        (splits.first { $0.name == split }?.indices ?? []).map { records[$0] }
    }
}

/// Reads the stage's data inputs with the Datasets readers and assigns every record to a split.
struct InputReader {
    let options: TokenizeOptions
    let seed: Int
    let context: StageContext

    /// Reads every input (their files on `threads` threads, results in reading order) and splits each.
    func loadAll(_ data: [String: DataInput], threads: Int) throws -> [LoadedInput] {
        let names = data.keys.sorted()
        let jobs = names.flatMap { name in data[name]!.files.map { (name, $0) } }
        let readers = Dictionary(
            uniqueKeysWithValues: try names.map {
                ($0, try Self.reader(for: data[$0]!, unit: options.textUnit, input: $0))
            })
        let finished = Counter()
        let results = concurrentMap(jobs.count, threads: threads) { j -> Result<([Record], ReadSummary), Error> in
            let (name, file) = jobs[j]
            if context.stopRequested { return .failure(StageStopped()) }
            var records: [Record] = []
            let result = Result { try readers[name]!(file) { records.append($0) } }.map { (records, $0) }
            let done = finished.increment()
            let rows = (try? result.get().1.records).map { " (\($0) rows)" } ?? ""
            context.progress(done, of: jobs.count, unit: "file", message: "\(name): read \(file)\(rows)")
            return result
        }
        var loaded: [LoadedInput] = []
        var j = 0
        for name in names {
            let input = data[name]!
            var one = LoadedInput(name: name, input: input, base: Self.commonFolder(of: input.files))
            var fileRanges: [Range<Int>] = []
            for file in input.files {
                let (records, summary): ([Record], ReadSummary)
                do {
                    (records, summary) = try results[j].get()
                } catch var error as DatasetError {
                    if input.onError == "fail", error.line != nil, error.kind != .tooManyBadRows {
                        error.hint = (error.hint.map { $0 + "; " } ?? "") + Self.skipHint
                    }
                    throw StageFailure("data input '\(name)': \(error)")
                } catch let errors as DatasetErrors {
                    throw StageFailure("data input '\(name)': \(errors)")
                }
                j += 1
                fileRanges.append(one.records.count..<(one.records.count + records.count))
                one.records += records
                note(summary, of: file, in: &one)
            }
            try finish(&one, fileRanges: fileRanges)
            loaded.append(one)
        }
        return loaded
    }

    /// Logs and keeps the skipped rows of one file.
    private func note(_ summary: ReadSummary, of file: String, in loaded: inout LoadedInput) {
        loaded.skipped += summary.skipped
        for error in summary.firstErrors {
            context.log("data input '\(loaded.name)': skipped a bad row: \(error)", level: .warning)
            if loaded.firstErrors.count < ReadSummary.keptErrors {
                var shown = error
                shown.file = loaded.relative(error.file)
                loaded.firstErrors.append(shown.description)
            }
        }
        if summary.skipped > summary.firstErrors.count {
            context.log(
                "data input '\(loaded.name)': \(summary.skipped - summary.firstErrors.count) more bad row(s) skipped in "
                    + file, level: .warning)
        }
    }

    private func finish(_ loaded: inout LoadedInput, fileRanges: [Range<Int>]) throws {
        let name = loaded.name, input = loaded.input
        if loaded.records.isEmpty {
            throw StageFailure(
                "data input '\(name)': no usable rows in \(input.files.count) file(s)"
                    + (loaded.skipped > 0 ? " (\(loaded.skipped) bad row(s) skipped)" : "")
                    + "; check the input's format and field names in the pipeline file")
        }
        try assignSplits(&loaded, fileRanges: fileRanges)
    }

    static let skipHint = "fix the row, or set 'on_error: skip' on the data input to skip and count bad rows"

    /// Splits by file name when the files say train/validation/test (and the options allow), else by fractions.
    func assignSplits(_ loaded: inout LoadedInput, fileRanges: [Range<Int>]) throws {
        let fileSplits = loaded.input.files.map { Self.splitName(ofFile: $0) }
        let named = fileSplits.allSatisfy { $0 != nil }
        if options.splitSource == .files && !named {
            let odd = zip(loaded.input.files, fileSplits).filter { $0.1 == nil }.map { loaded.relative($0.0) }
            throw StageFailure(
                "data input '\(loaded.name)': 'splits: { from: files }' needs files named train, validation or test "
                    + "(e.g. train.jsonl); these are not: \(odd.joined(separator: ", ")) "
                    + "(hint: use 'from: fractions' to split them)")
        }
        if named && options.splitSource != .fractions {
            loaded.splitSource = "files"
            for split in LoadedInput.splitNames {
                let indices = zip(fileSplits, fileRanges).filter { $0.0 == split }.flatMap { Array($0.1) }
                if zip(fileSplits, fileRanges).contains(where: { $0.0 == split }) {
                    loaded.splits.append((split, indices))
                }
            }
            return
        }
        loaded.splitSource = "fractions"
        let split = StratifiedSplitter.split(
            records: loaded.records, fractions: options.fractions, seed: UInt64(bitPattern: Int64(seed)))
        let parts = [
            ("train", split.train, options.fractions.train),
            ("validation", split.validation, options.fractions.validation),
            ("test", split.test, options.fractions.test),
        ]
        for (name, indices, fraction) in parts where fraction > 0 { loaded.splits.append((name, indices)) }
    }

    /// `train`, `validation` or `test` when the file's name without extensions is one of them.
    static func splitName(ofFile path: String) -> String? {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let stem = file.split(separator: ".").first.map(String.init) ?? file
        return LoadedInput.splitNames.contains(stem) ? stem : nil
    }

    /// The longest folder that contains every file (a single file's folder).
    static func commonFolder(of files: [String]) -> String {
        guard let first = files.first else { return "/" }
        var parts = Array(first.split(separator: "/", omittingEmptySubsequences: false).dropLast())
        for file in files.dropFirst() {
            let other = Array(file.split(separator: "/", omittingEmptySubsequences: false).dropLast())
            var n = 0
            while n < parts.count, n < other.count, parts[n] == other[n] { n += 1 }
            parts = Array(parts.prefix(n))
        }
        let joined = parts.joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }

    typealias FileReader = @Sendable (String, (Record) throws -> Void) throws -> ReadSummary

    /// A reader for one file of `input`, per its format and field mapping (docs/pipeline-format.md).
    static func reader(for input: DataInput, unit: TextReader.Unit, input name: String) throws -> FileReader {
        let policy: BadRowPolicy = input.onError == "skip" ? .skip : .fail
        let mapping = FieldMapping(
            text: input.fields["text"] ?? "text", pair: input.fields["text_pair"], label: input.fields["label"],
            id: input.fields["id"])
        switch input.format {
        case "jsonl":
            let reader = JSONLReader(mapping: mapping)
            return { try reader.read(path: $0, policy: policy, $1) }
        case "csv", "tsv":
            let reader = CSVReader(mapping: mapping, dialect: input.format == "csv" ? .csv : .tsv)
            return { try reader.read(path: $0, policy: policy, $1) }
        case "text":
            let reader = TextReader(unit: unit)
            return { try reader.read(path: $0, policy: policy, $1) }
        default:
            throw StageFailure(
                "data input '\(name)': unsupported format '\(input.format)'; expected jsonl, csv, tsv or text")
        }
    }
}

/// A thread-safe counter (files read so far, for progress events from reader threads).
final class Counter: @unchecked Sendable {  // `value` is guarded by `lock`
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.withLock {
            value += 1; return value
        }
    }
}

/// `body(i)` for i in 0..<n on up to `threads` threads (each index once), results in index order.
func concurrentMap<T>(_ n: Int, threads: Int, _ body: (Int) -> T) -> [T] {
    let workers = max(1, min(threads, n))
    if workers == 1 { return (0..<n).map(body) }
    var results = [T?](repeating: nil, count: n)
    let next = Counter()
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while case let i = next.increment() - 1, i < n { out[i] = body(i) }
            }
        }
    }
    return results.map { $0! }
}
