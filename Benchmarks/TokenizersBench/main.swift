// tokenizers-bench: the Tokenizers library's command-line driver for benchmarks and fixtures.
//   tokenizers-bench encode TOKENIZER.json TEXT [PAIR]        print one encoding
//   tokenizers-bench train CORPUS OUT.json [--vocab-size N] [--min-frequency N] [--special a,b] [--threads N]
//                                                            [--prefix-space]
//   tokenizers-bench bench-encode TOKENIZER.json CORPUS --threads N --reps R [--ids-out FILE]
//   tokenizers-bench bench-train CORPUS --vocab-size N --threads N --reps R [--out FILE]
//   tokenizers-bench compare TOKENIZER.json EXPECTED   lines "code points<TAB>ids<TAB>start,end ..." from HF;
//                                                     prints mismatches, exits 1 if any
//   tokenizers-bench cpu-probe      how much faster 2 threads run pure arithmetic than 1, right now
//                                   (on a shared machine, other jobs can leave no second core to gain)
import Foundation
import Tokenizers

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func option(_ args: [String], _ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Pure arithmetic for `cpu-probe` (top level so a concurrent closure may call it).
@inline(never) func spin(_ lo: Int, _ hi: Int) -> Double {
    var x = 0.0
    for i in lo..<hi { x += (Double(i) * 1.000_000_1).squareRoot() / (x + 1.5) }
    return x
}

let args = Array(CommandLine.arguments.dropFirst())
guard let command = args.first else { fail("usage: tokenizers-bench encode|train|bench-encode|bench-train ...") }

do {
    switch command {
    case "encode":
        guard args.count >= 3 else { fail("usage: tokenizers-bench encode TOKENIZER.json TEXT [PAIR]") }
        var tok = try Tokenizer(contentsOf: URL(fileURLWithPath: args[1]))
        tok.padding = nil
        let e = try tok.encode(args[2], pair: args.count > 3 ? args[3] : nil)
        print("tokens:", e.tokens)
        print("ids:", e.ids)
        print("offsets:", e.offsets)
        print("type_ids:", e.typeIds)
        print("decoded:", tok.decode(e.ids))

    case "train":
        guard args.count >= 3 else { fail("usage: tokenizers-bench train CORPUS OUT.json [options]") }
        let corpus = try [UInt8](Data(contentsOf: URL(fileURLWithPath: args[1])))
        let trainer = BPETrainer(
            vocabSize: Int(option(args, "--vocab-size") ?? "8192") ?? 8192,
            minFrequency: Int(option(args, "--min-frequency") ?? "2") ?? 2,
            specialTokens: option(args, "--special").map { $0.split(separator: ",").map(String.init) } ?? [],
            addPrefixSpace: args.contains("--prefix-space"),
            threads: Int(option(args, "--threads") ?? "2") ?? 2)
        let t0 = now()
        let result = try trainer.train(corpus: corpus)
        let t1 = now()
        try Data(result.tokenizerJSON().utf8).write(to: URL(fileURLWithPath: args[2]))
        FileHandle.standardError.write(
            Data(
                String(
                    format: "trained %d tokens (%d merges, %d unique words) in %.3f s\n",
                    result.vocab.count, result.merges.count, result.uniqueWords, t1 - t0
                ).utf8))

    case "bench-encode":
        guard args.count >= 3 else {
            fail("usage: tokenizers-bench bench-encode TOKENIZER.json CORPUS --threads N --reps R")
        }
        var tok = try Tokenizer(contentsOf: URL(fileURLWithPath: args[1]))
        tok.padding = nil
        tok.truncation = nil
        let text = try String(contentsOf: URL(fileURLWithPath: args[2]), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        let threads = Int(option(args, "--threads") ?? "1") ?? 1
        let reps = Int(option(args, "--reps") ?? "1") ?? 1
        var totalTokens = 0
        var encodings: [Encoding] = []
        for r in 0..<reps {
            let t0 = now()
            encodings = try tok.encodeBatch(lines, threads: threads)
            let t1 = now()
            totalTokens = encodings.reduce(0) { $0 + $1.count }
            print(
                String(
                    format: "rep %d: %.3f s, %.2f MB/s, %.2f M tokens/s", r, t1 - t0, Double(bytes) / 1e6 / (t1 - t0),
                    Double(totalTokens) / 1e6 / (t1 - t0)))
        }
        print("lines \(lines.count) bytes \(bytes) tokens \(totalTokens)")
        if let out = option(args, "--ids-out") {
            // One line of space-separated ids per input line, to compare with HF.
            var s = ""
            s.reserveCapacity(totalTokens * 6)
            for e in encodings {
                s += e.ids.map(String.init).joined(separator: " ")
                s += "\n"
            }
            try Data(s.utf8).write(to: URL(fileURLWithPath: out))
        }

    case "bench-train":
        guard args.count >= 2 else {
            fail("usage: tokenizers-bench bench-train CORPUS --vocab-size N --threads N --reps R")
        }
        let corpus = try [UInt8](Data(contentsOf: URL(fileURLWithPath: args[1])))
        let trainer = BPETrainer(
            vocabSize: Int(option(args, "--vocab-size") ?? "8192") ?? 8192,
            minFrequency: Int(option(args, "--min-frequency") ?? "2") ?? 2,
            specialTokens: option(args, "--special").map { $0.split(separator: ",").map(String.init) } ?? [],
            threads: Int(option(args, "--threads") ?? "1") ?? 1)
        let reps = Int(option(args, "--reps") ?? "1") ?? 1
        var result: BPETrainer.Result?
        for r in 0..<reps {
            let t0 = now()
            result = try trainer.train(corpus: corpus)
            let t1 = now()
            print(String(format: "rep %d: %.3f s", r, t1 - t0))
        }
        if let out = option(args, "--out"), let result {
            try Data(result.tokenizerJSON().utf8).write(to: URL(fileURLWithPath: out))
        }

    case "compare":
        guard args.count >= 3 else { fail("usage: tokenizers-bench compare TOKENIZER.json EXPECTED") }
        var tok = try Tokenizer(contentsOf: URL(fileURLWithPath: args[1]))
        tok.padding = nil
        let lines = try String(contentsOfFile: args[2], encoding: .utf8).split(separator: "\n")
        var mismatches = 0
        for line in lines {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count == 3 else { fail("malformed line: \(line)") }
            var text = ""
            text.unicodeScalars.append(
                contentsOf: parts[0].split(separator: " ").compactMap { UInt32($0).flatMap(Unicode.Scalar.init) })
            let ids = parts[1].split(separator: " ").compactMap { Int($0) }
            let offsets = parts[2].split(separator: " ").map { $0.split(separator: ",").compactMap { Int($0) } }
            let e = try tok.encode(text)
            if e.ids != ids || e.offsets.map({ [$0.start, $0.end] }) != offsets {
                mismatches += 1
                if mismatches <= 5 {
                    print("MISMATCH \(text.debugDescription)\n  ours \(e.ids) \(e.offsets)\n  HF   \(ids) \(offsets)")
                }
            }
        }
        print("compared \(lines.count) texts: \(mismatches) mismatches")
        if mismatches > 0 { exit(1) }

    case "cpu-probe":
        let n = 100_000_000
        var t0 = now()
        let serial = spin(0, n)
        let t1 = now() - t0
        nonisolated(unsafe) let out = UnsafeMutablePointer<Double>.allocate(capacity: 2)
        defer { out.deallocate() }
        t0 = now()
        DispatchQueue.concurrentPerform(iterations: 2) { k in out[k] = spin(k * n / 2, (k + 1) * n / 2) }
        let t2 = now() - t0
        print(
            String(
                format: "cpu-probe: 1 thread %.3f s, 2 threads %.3f s, speed-up %.2fx%@", t1, t2, t1 / t2,
                serial + out[0] + out[1] > 0 ? "" : " "))

    default:
        fail("unknown command \(command)")
    }
} catch {
    fail("error: \(error)")
}
