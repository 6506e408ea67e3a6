import Foundation
import Models
import NN
import Tensor

/// A benchmark input file could not be used; the message says which file and what to fix.
struct ForwardBenchError: Error, CustomStringConvertible {
    var description: String
}

/// Pre-tokenised batches for the `forward` mode, as scripts/bench/inference_ref.py writes them:
/// `{"batches": [{"batch": B, "time": T, "input_ids": [B*T ints], "attention_mask": [B*T ints]}, ...]}`.
func readForwardBatches(_ path: String, maxLength: Int) throws -> [EncoderInput] {
    guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int else {
        throw ForwardBenchError(description: "\(path): cannot read the inputs file")
    }
    guard size <= 256 << 20 else { throw ForwardBenchError(description: "\(path): larger than 256 MiB") }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
        let batches = root["batches"] as? [[String: Any]]
    else { throw ForwardBenchError(description: "\(path): expected an object with a \"batches\" array") }
    return try batches.enumerated().map { i, b in
        guard let nb = b["batch"] as? Int, let nt = b["time"] as? Int, nb > 0, nt > 0, nt <= maxLength,
            let ids = b["input_ids"] as? [Int], let mask = b["attention_mask"] as? [Int],
            ids.count == nb * nt, mask.count == nb * nt
        else {
            throw ForwardBenchError(
                description: "\(path): batch \(i): needs batch, time (1...\(maxLength)), and input_ids and "
                    + "attention_mask of batch*time ints")
        }
        guard ids.allSatisfy({ $0 >= 0 && $0 < Int(Int32.max) }), mask.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw ForwardBenchError(description: "\(path): batch \(i): ids must be >= 0, mask values 0 or 1")
        }
        return EncoderInput(
            batch: nb, time: nt, inputIds: ids.map { Int32($0) }, attentionMask: mask.map { Int32($0) })
    }
}

/// `forward`: MiniLM sentence embeddings (the trunk's inference forward, mean pooling, L2 normalisation) of every
/// batch in `--inputs`, `--reps` times after `--warmup` passes over the first batch. One JSON line per pass, then a
/// summary line; the embeddings of the last pass go to `--out` as little-endian float32 `[rows, hidden]`.
func runForward() throws {
    let directory = argument("model-dir", "assets/all-MiniLM-L6-v2")
    let bert: BertModel
    do { bert = try BertModel(directory: URL(fileURLWithPath: directory), pooler: false) } catch {
        throw ForwardBenchError(description: "\(directory): cannot load the model: \(error)")
    }
    let inputsPath = argument("inputs", "")
    let batches = try readForwardBatches(inputsPath, maxLength: bert.config.maxPositionEmbeddings)
    guard let vocab = batches.flatMap(\.inputIds).max(), Int(vocab) < bert.config.vocabSize else {
        throw ForwardBenchError(description: "\(inputsPath): no batches, or ids beyond the model's vocabulary")
    }
    guard let reps = Int(argument("reps", "3")), let warmup = Int(argument("warmup", "1")), reps > 0, warmup >= 0
    else { throw ForwardBenchError(description: "--reps must be > 0 and --warmup >= 0") }
    let rows = batches.reduce(0) { $0 + $1.batch }
    let padded = batches.reduce(0) { $0 + $1.batch * $1.time }
    for _ in 0..<warmup {  // warm-up passes run the first batch only
        _ = GradMode.withoutGrad { bert.sentenceEmbeddings(batches[0]) }
    }
    var last: [Float] = []
    for _ in 0..<reps {
        let t0 = now()
        let c0 = Profiler.clock()
        var out: [Float] = []
        out.reserveCapacity(rows * bert.config.hiddenSize)
        GradMode.withoutGrad {
            for input in batches { out += bert.sentenceEmbeddings(input).scalars }
        }
        let (t1, c1) = (now(), Profiler.clock())
        print(
            json([
                "system": "swift", "threads": Parallel.threads, "seconds": t1 - t0,
                "thread_cpu_seconds": Double(c1 - c0) * 1e-9, "rows": rows, "padded_tokens": padded,
            ]))
        last = out
    }
    let outPath = argument("out", "")
    if !outPath.isEmpty {
        let bytes = last.withUnsafeBufferPointer { Data(buffer: $0) }
        do { try bytes.write(to: URL(fileURLWithPath: outPath)) } catch {
            throw ForwardBenchError(description: "\(outPath): cannot write the embeddings: \(error)")
        }
    }
    print(
        json([
            "system": "swift", "summary": true, "threads": Parallel.threads, "peak_rss_mib": peakRSSMiB(),
            "blas_core": BLAS.coreName, "rows": rows, "hidden": bert.config.hiddenSize,
        ]))
}
