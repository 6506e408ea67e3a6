import ArgumentParser
import Foundation
import Models
import StageKit
import Tensor
import Tokenizers
import Training

/// `finetunectl predict MODEL [TEXT...]`: runs a multitask artifact on new text with its own tokenizer and
/// heads; one JSON line per input (docs/report.md, "finetunectl predict").
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Run a multitask model on new text: one JSON line per input, with each task's label and probabilities.",
        discussion: """
            MODEL is a multitask artifact folder (config.json, model.safetensors, tokenizer.json, multitask.json, \
            multitask.safetensors: a multitask-finetune stage's output, or exports/<pipeline>/model), or a pipeline \
            name, whose exports/<pipeline>/model in the state directory is used.

            Inputs: the TEXT arguments, else the lines of --file, else the lines of standard input; empty lines are \
            skipped. Output, in input order: {"id": "<1-based input number>", "text": …, "tasks": {"<task>": \
            {"label": …, "probabilities": {"<label>": p, …}} or {"value": x}}}, plus "truncated": true when the \
            text was cut to the model's positions. A line that cannot be used (too long, not UTF-8) gives \
            {"id": …, "error": …}; the exit status is then 1. A bad model folder exits 65 with the file and the \
            problem.
            """)

    @Argument(help: ArgumentHelp("A multitask artifact folder, or a pipeline name.", valueName: "model"))
    var model: String
    @Argument(help: "Texts to classify (default: --file, else standard input, one text per line).")
    var texts: [String] = []
    @Option(help: ArgumentHelp("Read one text per line from this file.", valueName: "path")) var file: String?
    @Option(name: .customLong("task"), help: "Only this task (repeatable; default: every task).") var tasks: [String] =
        []
    @Option(help: "Rows per forward pass.") var batch = 32
    @Option(help: "Threads for the forward passes.") var threads = 1
    @Option(help: "Longest input line, in bytes.") var maxLineBytes = 65_536
    @Option(help: "Most inputs read.") var maxInputs = 1_000_000
    @Flag(help: "Leave the text out of the output.") var noText = false
    @Option(
        help: ArgumentHelp(
            "State directory, for a pipeline name.", discussion: "Default as for run.", valueName: "dir"))
    var stateDir: String?

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be in 1…4096") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1…256") }
        guard (1...(64 << 20)).contains(maxLineBytes) else {
            throw ValidationError("--max-line-bytes must be in 1…64 MiB")
        }
        guard maxInputs >= 1 else { throw ValidationError("--max-inputs must be at least 1") }
        if file != nil, !texts.isEmpty { throw ValidationError("give texts or --file, not both") }
    }

    func run() async throws {
        let predictor = try loadPredictor()
        Parallel.setThreads(threads)
        var failed = false
        var pending: [(id: String, text: String)] = []
        let out = FileHandle.standardOutput
        func flush() throws {
            guard !pending.isEmpty else { return }
            out.write(try predictor.lines(pending, echo: !noText))
            pending.removeAll(keepingCapacity: true)
        }
        func emit(id: String, text: String) throws {
            pending.append((id, text))
            if pending.count >= batch { try flush() }
        }
        func fail(id: String, _ message: String) throws {
            try flush()
            failed = true
            out.write(Data("{\"error\":\(Predictor.quoted(message)),\"id\":\"\(id)\"}\n".utf8))
        }
        if !texts.isEmpty {
            guard texts.count <= maxInputs else {
                throw failure("\(texts.count) texts; at most \(maxInputs) (--max-inputs)", code: ExitCode(64))
            }
            for (i, t) in texts.enumerated() {
                if t.utf8.count > maxLineBytes {
                    try fail(
                        id: "\(i + 1)", "text of \(t.utf8.count) bytes; at most \(maxLineBytes) (--max-line-bytes)")
                } else {
                    try emit(id: "\(i + 1)", text: t)
                }
            }
        } else {
            let handle: FileHandle
            let name = file ?? "<stdin>"
            if let file {
                guard let h = FileHandle(forReadingAtPath: file) else {
                    throw failure("\(file): cannot open", code: ExitCode(66))
                }
                handle = h
            } else {
                handle = FileHandle.standardInput
            }
            var reader = LineReader(handle: handle, maxLineBytes: maxLineBytes)
            var count = 0
            while let line = try reader.next() {
                let id = "\(line.number)"
                switch line.content {
                case .tooLong(let n):
                    try fail(
                        id: id,
                        "\(name):\(line.number): line of \(n)+ bytes; at most \(maxLineBytes) (--max-line-bytes)")
                case .text(let bytes):
                    guard let text = String(validatingUTF8Bytes: bytes) else {
                        try fail(id: id, "\(name):\(line.number): not UTF-8")
                        continue
                    }
                    let trimmed = text.hasSuffix("\r") ? String(text.dropLast()) : text
                    if trimmed.isEmpty { continue }
                    count += 1
                    guard count <= maxInputs else {
                        try flush()
                        throw failure(
                            "\(name):\(line.number): more than \(maxInputs) inputs (--max-inputs)",
                            code: Exit.stageFailed)
                    }
                    try emit(id: id, text: trimmed)
                }
            }
        }
        try flush()
        if failed { throw Exit.stageFailed }
    }

    /// The model folder and its predictor; a bad folder exits 65 with the file and the problem.
    func loadPredictor() throws -> Predictor {
        var directory = model
        var isDirectory: ObjCBool = false
        if !(FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) && isDirectory.boolValue) {
            let state = EngineOptions.stateDirectory(stateDir)
            let exported = PipelineExportsPath.model(state: state, pipeline: model)
            guard !model.contains("/"), FileManager.default.fileExists(atPath: exported) else {
                throw failure(
                    "\(model): not a model folder, and no pipeline of that name has an exported model in \(state)/exports",
                    code: Exit.invalidPipeline)
            }
            directory = exported
        }
        do {
            return try Predictor(directory: directory, tasks: tasks)
        } catch let e as TrainingError {
            throw failure(e.description, code: Exit.invalidPipeline)
        } catch let e as PredictorError {
            throw failure(e.message, code: Exit.invalidPipeline)
        } catch let e as ExitCode {
            throw e
        } catch {
            throw failure("\(directory): \(error)", code: Exit.invalidPipeline)
        }
    }
}

/// `exports/<pipeline>/model` (PipelineCore's PipelineExports layout).
enum PipelineExportsPath {
    static func model(state: String, pipeline: String) -> String { "\(state)/exports/\(pipeline)/model" }
}

struct PredictorError: Error {
    var message: String
}

/// A loaded multitask artifact and its tokenizer, turning batches of texts into output lines.
struct Predictor {
    let model: MultitaskModel
    let tokenizer: Tokenizer
    /// The tasks predicted (indices into model.tasks) and their label names.
    let tasks: [Int]
    let labels: [[String]]
    let padID: Int32
    let maxLength: Int

    /// Largest tokenizer.json read.
    static let maximumTokenizerSize = 64 << 20

    init(directory: String, tasks names: [String]) throws {
        let model = try MultitaskArtifact.loadModel(directory: directory)
        self.model = model
        let path = directory + "/tokenizer.json"
        let bytes: Data?
        do { bytes = try ModelFile.read(path, maxBytes: Self.maximumTokenizerSize) } catch let e as ModelError {
            throw PredictorError(message: "\(path): \(e.message)")
        }
        guard let bytes else { throw PredictorError(message: "\(path): not found (the model's tokenizer)") }
        var tok: Tokenizer
        do { tok = try Tokenizer(json: bytes) } catch {
            throw PredictorError(message: "\(path): \(error)")
        }
        maxLength = min(tok.truncation?.maxLength ?? Int.max, model.trunk.maxPositions)
        tok.truncation = TruncationParams(
            maxLength: maxLength, strategy: tok.truncation?.strategy ?? .longestFirst,
            direction: tok.truncation?.direction ?? .right)
        tok.padding = nil
        tokenizer = tok
        padID = Int32(clamping: tok.tokenToId("[PAD]") ?? tok.tokenToId("<pad>") ?? 0)
        let all = model.tasks.map(\.name)
        for n in names where !all.contains(n) {
            throw PredictorError(
                message: "--task \(n): the model has no such task (tasks: \(all.joined(separator: ", ")))")
        }
        let chosen = model.tasks.indices.filter { names.isEmpty || names.contains(model.tasks[$0].name) }
        let usable = chosen.filter {
            model.tasks[$0].kind == .sequenceClassification || model.tasks[$0].kind == .regression
        }
        for t in chosen where !usable.contains(t) {
            printError(
                "finetunectl: task '\(model.tasks[t].name)' (\(model.tasks[t].kind.rawValue)) is not predicted: "
                    + "predict takes single texts")
        }
        guard !usable.isEmpty else { throw PredictorError(message: "\(directory): no task that predict can run") }
        self.tasks = usable
        labels = usable.map { t in
            let s = model.tasks[t]
            return s.labelNames.flatMap { $0.count == s.labels ? $0 : nil } ?? (0..<s.labels).map(String.init)
        }
        for (t, names) in zip(usable, labels) where Set(names).count != names.count {
            throw PredictorError(
                message:
                    "\(directory)/\(MultitaskArtifact.configName): task '\(model.tasks[t].name)' repeats a label name")
        }
    }

    /// The output lines of `rows`, in order.
    func lines(_ rows: [(id: String, text: String)], echo: Bool) throws -> Data {
        let encodings = try tokenizer.encodeBatch(rows.map(\.text), threads: 1)
        // A tokenizer.json with more ids than the model's embedding would index past it.
        let vocabulary = model.trunk.vocabularySize
        guard (0..<vocabulary).contains(Int(padID)) else {
            throw PredictorError(message: "the tokenizer's pad id \(padID) is outside the model's vocabulary (\(vocabulary))")
        }
        for (r, e) in encodings.enumerated() {
            if let id = e.ids32.first(where: { !(0..<vocabulary).contains(Int($0)) }) {
                throw PredictorError(
                    message: "input \(rows[r].id): token id \(id) is outside the model's vocabulary (\(vocabulary)): "
                        + "the model folder's tokenizer.json does not belong to its config.json")
            }
        }
        let input = MultitaskInference.input(sequences: encodings.map(\.ids32), padID: padID)
        let (predictions, _) = try MultitaskInference.predict(model, input: input, tasks: tasks)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for (r, row) in rows.enumerated() {
            var perTask: [String: JSONValue] = [:]
            for (i, t) in tasks.enumerated() {
                let p = predictions[r][i]
                if model.tasks[t].kind == .regression {
                    perTask[model.tasks[t].name] = .object(["value": .double(p.value)])
                } else {
                    perTask[model.tasks[t].name] = .object([
                        "label": .string(labels[i][p.predicted]),
                        "probabilities": .object(
                            Dictionary(uniqueKeysWithValues: zip(labels[i], p.probabilities.map { .double($0) }))),
                    ])
                }
            }
            var line: [String: JSONValue] = ["id": .string(row.id), "tasks": .object(perTask)]
            if echo { line["text"] = .string(row.text) }
            if !encodings[r].overflowing.isEmpty { line["truncated"] = .bool(true) }
            data += try encoder.encode(JSONValue.object(line)) + Data("\n".utf8)
        }
        return data
    }

    /// A JSON string literal.
    static func quoted(_ s: String) -> String {
        (try? JSONEncoder().encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

/// Lines of a file or pipe, read in chunks as they arrive (never blocking for a full buffer), each at most
/// `maxLineBytes`; the rest of a longer line is skipped.
struct LineReader {
    enum Content {
        case text([UInt8])
        case tooLong(Int)
    }

    let handle: FileHandle
    let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    private var number = 0

    init(handle: FileHandle, maxLineBytes: Int) {
        self.handle = handle
        self.maxLineBytes = maxLineBytes
    }

    /// The next line (1-based number) without its newline; nil at the end.
    mutating func next() throws -> (number: Int, content: Content)? {
        var skipped = 0
        var searched = start  // bytes before this hold no newline of the current line
        while true {
            if let nl = buffer[max(start, searched)...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                number += 1
                if skipped > 0 { return (number, .tooLong(skipped + line.count)) }
                return (number, line.count > maxLineBytes ? .tooLong(line.count) : .text(line))
            }
            if buffer.count - start > maxLineBytes {
                // Drop what is held of a line already too long; keep counting it.
                skipped += buffer.count - start
                buffer.removeAll(keepingCapacity: true)
                start = 0
                searched = 0
            }
            if finished {
                guard start < buffer.count || skipped > 0 else { return nil }
                let line = Array(buffer[start...])
                buffer.removeAll()
                start = 0
                number += 1
                if skipped > 0 { return (number, .tooLong(skipped + line.count)) }
                return (number, line.count > maxLineBytes ? .tooLong(line.count) : .text(line))
            }
            // read(2) returns what is there (a pipe does not wait for a full buffer), at most 64 KiB.
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PredictorError(message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                finished = true
            } else {
                if start > 0 {
                    buffer.removeSubrange(0..<start)
                    start = 0
                }
                searched = buffer.count
                buffer += chunk[0..<n]
            }
        }
    }
}

extension String {
    /// The string of `bytes` when they are valid UTF-8.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        guard let s = String(bytes: bytes, encoding: .utf8) else { return nil }
        self = s
    }
}
