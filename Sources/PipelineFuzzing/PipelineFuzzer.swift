import Foundation
import PipelineCore
import StageKit

#if canImport(Glibc)
    import Glibc
#endif

/// Feeds the pipeline parser and validator generated and mutated YAML (aliases and bombs, tags, deep nesting,
/// huge scalars, invalid UTF-8, hostile paths) and checks the contract every input must keep: validation
/// returns a pipeline or throws ``PipelineInvalid`` whose diagnostics are all located in the file — it never
/// traps, never throws anything else, and never takes long or grows memory.
///
/// Used by `PipelineFuzzerTests` for a fixed number of inputs and by `scripts/fuzz/pipeline.sh` (through the
/// `pipeline-fuzz` executable) for long runs.
public final class PipelineFuzzer {
    /// One input that broke the contract.
    public struct Finding: Sendable, CustomStringConvertible {
        public var kind: String
        public var detail: String
        public var input: [UInt8]
        public var description: String { "\(kind): \(detail) (input of \(input.count) bytes)" }
    }

    public struct Report: Sendable {
        public var inputs = 0
        public var accepted = 0
        public var rejected = 0
        public var findings: [Finding] = []
        /// Inputs that took more CPU time than the hang limit (CPU, not wall clock: on a shared machine the
        /// wall clock of a 0.1 s input can pass 3 s; an endless loop burns CPU, and a blocked read is caught by
        /// the script's per-round timeout).
        public var hangs = 0
        /// The most CPU time one input took, and the most wall-clock time.
        public var slowestSeconds = 0.0
        public var slowestWallSeconds = 0.0
        public var largestInput = 0
        public init() {}
    }

    private var rng: SplitMix64
    private let validator: PipelineValidator
    private let file: String
    private let seeds: [[UInt8]]
    public let workspace: String
    /// Called with every input before it is validated (the script keeps the last one to reproduce a crash).
    public var onInput: (([UInt8]) -> Void)?

    /// `workspace` is a folder this fuzzer owns: it writes data files and the pipeline's folder into it.
    public init(seed: UInt64, workspace: String, seeds extra: [[UInt8]] = []) throws {
        rng = SplitMix64(seed: seed)
        self.workspace = workspace
        let fm = FileManager.default
        for dir in ["pipelines", "data/texts/sub", "outside", "model"] {
            try fm.createDirectory(atPath: workspace + "/" + dir, withIntermediateDirectories: true)
        }
        for (path, text) in [
            ("data/a.txt", "some words\n"), ("data/b.jsonl", "{\"text\": \"x\", \"label\": 1}\n"),
            ("data/texts/one.txt", "one\n"), ("data/texts/sub/two.txt", "two\n"), ("outside/secret.txt", "no\n"),
            ("model/config.json", "{}\n"),
        ] {
            try text.write(toFile: workspace + "/" + path, atomically: true, encoding: .utf8)
        }
        _ = unlink(workspace + "/data/texts/loop")
        symlink(workspace + "/data/texts", workspace + "/data/texts/loop")  // a directory symlink loop
        _ = unlink(workspace + "/data/fifo.txt")
        mkfifo(workspace + "/data/fifo.txt", 0o600)
        file = workspace + "/pipelines/fuzz.yaml"
        validator = PipelineValidator(
            registry: Self.registry, resolver: DataResolver(allowedRoots: [workspace + "/data", workspace + "/model"]))
        self.seeds = Self.builtinSeeds.map { Array($0.utf8) } + extra
    }

    /// Runs `count` inputs (or until `deadline`), each checked against the contract.
    public func run(count: Int, hangLimit: Double = 2, deadline: Date = .distantFuture, into report: inout Report) {
        for _ in 0..<count {
            if Date() > deadline { break }
            let input = next()
            onInput?(input)
            report.inputs += 1
            report.largestInput = max(report.largestInput, input.count)
            let began = Date()
            let cpuBefore = Self.threadCPUSeconds()
            check(input, into: &report)
            let seconds = Self.threadCPUSeconds() - cpuBefore
            report.slowestSeconds = max(report.slowestSeconds, seconds)
            report.slowestWallSeconds = max(report.slowestWallSeconds, Date().timeIntervalSince(began))
            if seconds > hangLimit {
                report.hangs += 1
                report.findings.append(Finding(kind: "hang", detail: String(format: "%.1f s of CPU", seconds), input: input))
            }
        }
    }

    /// Validates one input and records whether it kept the contract.
    public func check(_ input: [UInt8], into report: inout Report) {
        do {
            _ = try validator.validate(bytes: input, file: file)
            report.accepted += 1
        } catch let invalid as PipelineInvalid {
            report.rejected += 1
            if invalid.diagnostics.isEmpty {
                report.findings.append(Finding(kind: "unlocated", detail: "rejected without a diagnostic", input: input))
            }
            for d in invalid.diagnostics where d.location.file != file || d.location.line < 1 || d.location.column < 1 {
                report.findings.append(Finding(kind: "unlocated", detail: d.description, input: input))
                break
            }
        } catch {
            report.findings.append(Finding(kind: "unexpected error", detail: "\(type(of: error)): \(error)", input: input))
        }
    }

    /// CPU time of the calling thread.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Peak resident memory of this process so far, in bytes.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    // MARK: Inputs

    /// The next input: a generated pipeline, a mutated seed, or a hostile construction.
    public func next() -> [UInt8] {
        switch rng.below(10) {
        case 0...3: return Array(generatePipeline().utf8)
        case 4...7: return mutate(seeds[rng.below(seeds.count)])
        default: return hostile()
        }
    }

    static let stageKeys = ["plugin", "after", "inputs", "with", "timeout", "description", "plugn", "wiht"]
    static let topKeys = ["version", "name", "description", "seed", "model", "data", "stages", "stgaes"]
    static let paths = [
        "../data/a.txt", "../data/*.txt", "../data/**", "../data/texts", "../data/**/*.txt", "../data/texts/loop/**",
        "../data/fifo.txt", "../outside/secret.txt", "/proc/**", "/proc/self/fd/0", "/dev/zero", "/", "**",
        "../data/[a-", "../data/b.jsonl", "../../../../../etc/passwd", "../data/nothing/*.txt",
    ]
    static let scalars = [
        "1", "0", "-1", "1e300", "-1e300", ".inf", ".nan", "0x7fffffffffffffff", "99999999999999999999", "5e-5", "true",
        "null", "~", "''", "\"\"", "x", "train", "tokenize", "wordcount", "2h", "1e300h", "-5s", "0.0001s", "mlm",
        "legal", "\"\\u0000\"", "é", "'a b'", "!!str 5", "!!int x", "!!float y", "!!binary aGk=", "!foo bar",
        "!!python/object:os.system x", "&a x", "*a", "? x", "|\n  block", "'unterminated",
    ]

    func scalar() -> String {
        switch rng.below(8) {
        case 0: return Self.paths[rng.below(Self.paths.count)]
        case 1: return String(repeating: "y", count: rng.below(3) == 0 ? 70_000 : rng.below(300))
        default: return Self.scalars[rng.below(Self.scalars.count)]
        }
    }

    func value(depth: Int) -> String {
        if depth > 6 { return scalar() }
        switch rng.below(6) {
        case 0: return "[" + (0..<rng.below(5)).map { _ in value(depth: depth + 1) }.joined(separator: ", ") + "]"
        case 1:
            return "{" + (0..<rng.below(5)).map { _ in "\(key()): \(value(depth: depth + 1))" }.joined(separator: ", ") + "}"
        default: return scalar()
        }
    }

    func key() -> String {
        let keys = ["steps", "lr", "corpus", "objective", "tasks", "kind", "path", "format", "text", "label", "on_error", "x", "a"]
        return rng.below(20) == 0 ? String(repeating: "k", count: 300) : keys[rng.below(keys.count)]
    }

    func generatePipeline() -> String {
        var out = ""
        for top in Self.topKeys where rng.below(4) != 0 {
            switch top {
            case "version": out += "version: \(rng.below(6) == 0 ? scalar() : "1")\n"
            case "data":
                out += "data:\n"
                for i in 0..<rng.below(4) {
                    if rng.below(2) == 0 {
                        out += "  d\(i): \(Self.paths[rng.below(Self.paths.count)])\n"
                    } else {
                        out += "  d\(i): {path: \(Self.paths[rng.below(Self.paths.count)]), format: \(scalar())}\n"
                    }
                }
            case "stages":
                out += "stages:\n"
                for i in 0..<(1 + rng.below(5)) {
                    out += "  s\(i):\n"
                    for k in Self.stageKeys where rng.below(3) != 0 {
                        switch k {
                        case "plugin": out += "    plugin: \(["train", "tokenize", "nosuch", scalar()][rng.below(4)])\n"
                        case "after", "inputs": out += "    \(k): [\((0..<rng.below(3)).map { _ in rng.below(2) == 0 ? "s\(rng.below(5))" : "d\(rng.below(4))" }.joined(separator: ", "))]\n"
                        case "with": out += "    with: \(value(depth: 0))\n"
                        default: out += "    \(k): \(scalar())\n"
                        }
                    }
                }
            case "model": out += "model: {base: \(["../model", "../outside", "/", scalar()][rng.below(4)])}\n"
            default: out += "\(top): \(scalar())\n"
            }
        }
        return out
    }

    func hostile() -> [UInt8] {
        switch rng.below(7) {
        case 0:  // alias bomb, block or flow, possibly inside with:
            let width = 2 + rng.below(12), levels = 2 + rng.below(12)
            var text = "version: 1\nstages:\n  a:\n    plugin: train\n    with:\n"
            text += "      l0: &l0 [" + Array(repeating: "x", count: width).joined(separator: ",") + "]\n"
            for i in 1..<levels {
                text += "      l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: width).joined(separator: ",") + "]\n"
            }
            return Array(text.utf8)
        case 1:  // deep nesting
            let n = rng.below(3000)
            let open = rng.below(2) == 0 ? "[" : "{a: "
            let close = open == "[" ? "]" : "}"
            return Array(("version: 1\nstages: " + String(repeating: open, count: n) + String(repeating: close, count: n)).utf8)
        case 2:  // deep block nesting
            var text = "version: 1\nstages:\n"
            for i in 0..<rng.below(200) { text += String(repeating: " ", count: 2 * (i + 1)) + "k\(i):\n" }
            return Array(text.utf8)
        case 3:  // invalid UTF-8 somewhere in a valid file
            var bytes = Array(Self.builtinSeeds[0].utf8)
            let junk: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xED, 0xA0, 0x80], [0x00], [0xFE, 0xFF]]
            for _ in 0..<(1 + rng.below(3)) {
                bytes.insert(contentsOf: junk[rng.below(junk.count)], at: rng.below(bytes.count + 1))
            }
            return bytes
        case 4:  // many values
            return Array(("version: 1\nstages: {a: {plugin: train, with: {tasks: {" + (0..<rng.below(60_000)).map { "t\($0): {kind: classification}" }.joined(separator: ", ") + "}}}}}").utf8)
        case 5:  // many stages in a chain (graph checks)
            let n = rng.below(400)
            var text = "version: 1\nstages:\n"
            for i in 0..<n { text += "  s\(i): {plugin: train\(i > 0 ? ", after: [s\(i - 1)]" : "")}\n" }
            if n > 1 && rng.below(2) == 0 { text += "  s0x: {plugin: train, after: [s\(n - 1)]}\n" }
            return Array(text.utf8)
        default:  // aliases as keys and merge keys
            return Array("version: 1\nx: &k {a: 1}\n? *k\n: 1\n<<: *k\nstages: {a: {plugin: train, with: {<<: *k}}}\n".utf8)
        }
    }

    func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + rng.below(6)) {
            switch rng.below(8) {
            case 0 where !bytes.isEmpty: bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
            case 1 where !bytes.isEmpty: bytes.remove(at: rng.below(bytes.count))
            case 2:
                let tokens = ["&a ", "*a", "!!str ", "!x ", "[", "]", "{", "}", ": ", "- ", "\n", "  ", "\t", "#", "'", "\"", "---\n", "? ", "|", ">", "%YAML 1.1\n"]
                bytes.insert(contentsOf: Array(tokens[rng.below(tokens.count)].utf8), at: rng.below(bytes.count + 1))
            case 3 where bytes.count > 2:  // duplicate a chunk
                let a = rng.below(bytes.count), b = min(bytes.count, a + rng.below(64))
                bytes.insert(contentsOf: bytes[a..<b], at: rng.below(bytes.count + 1))
            case 4:  // splice another seed
                let other = seeds[rng.below(seeds.count)]
                let cut = rng.below(bytes.count + 1), from = rng.below(other.count + 1)
                bytes = Array(bytes[..<cut]) + Array(other[from...])
            case 5: bytes.insert(contentsOf: Array(scalar().utf8), at: rng.below(bytes.count + 1))
            case 6 where !bytes.isEmpty:  // truncate
                bytes = Array(bytes[..<rng.below(bytes.count)])
            default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(bytes.count + 1))
            }
        }
        return bytes
    }

    static let builtinSeeds = [
        "version: 1\nname: p\nseed: 3\ndata:\n  legal: ../data/*.txt\n  spam: {path: ../data/b.jsonl, format: jsonl, text: text, label: label}\nstages:\n  tok: {plugin: tokenize, inputs: [legal, spam]}\n  a:\n    plugin: train\n    after: [tok]\n    timeout: 2h\n    with: {corpus: legal, lr: 5e-5, steps: 20, tasks: {spam: {kind: classification}}}\n",
        "version: 1\nmodel: {base: ../model}\nstages:\n  a: {plugin: train, with: {objective: mlm}}\n  b: {plugin: train, after: a}\n",
        "version: 1\ndata:\n  d: ../data/texts\nstages:\n  a:\n    plugin: tokenize\n    inputs:\n      - d\n    description: >\n      folded\n      text\n",
    ]

    /// Plugins with one parameter of every type, so that `with:` is checked against all of them.
    public static let registry = PluginRegistry(plugins: [
        PluginInfo(
            description: PluginDescription(
                name: "train", version: "1", summary: "",
                params: ParamSchema([
                    ParamSpec("steps", .integer(minimum: 1, maximum: 1_000_000), default: 10),
                    ParamSpec("lr", .number(minimum: 0), default: 0.001),
                    ParamSpec("corpus", .dataRef),
                    ParamSpec("objective", .oneOf(["mlm", "clm"]), default: "mlm"),
                    ParamSpec("flag", .boolean),
                    ParamSpec("names", .array(.string)),
                    ParamSpec("tasks", .map(.object([ParamSpec("kind", .oneOf(["classification", "regression"]), required: true)]))),
                ]), modelFiles: ["config.json"]), executable: "/bin/true", digest: "0"),
        PluginInfo(
            description: PluginDescription(name: "tokenize", version: "1", summary: "", params: ParamSchema([])),
            executable: "/bin/true", digest: "0"),
    ])
}

/// A small, fast, seedable generator (Vigna's SplitMix64), so that a run is reproducible from its seed.
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in `0..<n` (n > 0; 0 for n <= 0).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}
