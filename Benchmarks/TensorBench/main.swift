// tensor-bench: training-step throughput of the engine on the shapes of notes/performance.md, for
// scripts/bench/tensor.sh (which runs PyTorch on the same shapes, interleaved).
//
//   tensor-bench step --model bert|gpt [--batch B] [--time T] [--threads N] [--steps S] [--warmup W] [--profile]
//   tensor-bench sgemm [--threads N]
//   tensor-bench forward --model-dir DIR --inputs FILE.json [--out FILE.f32] [--threads N] [--reps R] [--warmup W]
//
// `step` prints one JSON line per measured step: {"system":"swift","model":...,"seconds":...,"tokens":...}, then a
// summary line with peak RSS; `--profile` adds a per-op time table (forward/backward) on stderr. `forward` times the
// MiniLM inference forward (sentence embeddings) on pre-tokenised batches (Forward.swift).
import Foundation
import Models
import NN
import Tensor

func argument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--" + name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Peak resident set size in MiB (VmHWM).
func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

func json(_ dict: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: dict, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// Deterministic pseudo-random token ids.
func randomIds(_ count: Int, vocab: Int, seed: UInt64) -> [Int32] {
    let rng = CounterRNG(seed: seed, stream: 77)
    return (0..<count).map { Int32(rng.bits($0) % UInt32(vocab)) }
}

/// Model FLOPs per token as notes/performance.md counts them: 6 × matmul parameters + 12 × L × d × T.
func flopsPerToken(matmulParameters: Int, layers: Int, width: Int, time: Int) -> Double {
    Double(6 * matmulParameters + 12 * layers * width * time)
}

func runSteps(model name: String, batch nb: Int, time nt: Int, steps: Int, warmup: Int, profile: Bool) {
    let step: (Int) -> Float
    let parameters: [Tensor]
    let flops: Double
    // `--peft lora`: LoRA r=8, α=16 on every BERT projection, base frozen (no weight-gradient GEMMs for it).
    let peft = argument("peft", "full")
    switch name {
    case "bert":
        // all-MiniLM-L6-v2 shape, sequence classification head (pooler + 2-way linear), dropout on.
        var config = BertConfig()
        (config.vocabSize, config.hiddenSize, config.numHiddenLayers, config.numAttentionHeads) = (30522, 384, 6, 12)
        config.intermediateSize = 1536
        let bert = BertModel(config: config, pooler: true, seed: 1)
        var ini = Initializer(seed: 2)
        let classifier = Linear(inputDimensions: 384, outputDimensions: 2, initializer: &ini)
        if peft == "lora" {
            let lora = LoRAConfiguration(
                rank: 8, alpha: 16,
                targetModules: ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"])
            try! bert.applyLoRA(lora, initializer: &ini, context: ContextSource())
            bert.trainOnly(matching: ["*.lora_*"])
        }
        parameters = bert.trainableParameters.map(\.tensor) + classifier.parameters
        let ids = randomIds(nb * nt, vocab: config.vocabSize, seed: 3)
        let labels = (0..<nb).map { Int32($0 % 2) }
        let input = EncoderInput(
            batch: nb, time: nt, inputIds: ids, attentionMask: [Int32](repeating: 1, count: nb * nt))
        let dropout = Dropout(p: config.hiddenDropoutProb)
        step = { s in
            let ctx = ForwardContext(training: true, seed: 5, step: UInt64(s))
            let hidden = bert(input, context: ctx)
            let logits = classifier(dropout(bert.pooled(hidden), ctx))
            let loss = crossEntropy(logits: logits, targets: labels)
            loss.backward()
            return loss.item
        }
        let matmul = 6 * (4 * 384 * 384 + 2 * 384 * 1536) + 384 * 384 + 384 * 2
        flops = flopsPerToken(matmulParameters: matmul, layers: 6, width: 384, time: nt)
    case "gpt":
        var config = GPTConfig()
        (config.vocabSize, config.nPositions, config.nEmbd, config.nLayer, config.nHead) = (8192, nt, 384, 6, 6)
        let gpt = GPTModel(config: config, seed: 1)
        parameters = gpt.parameters
        let ids = randomIds(nb * nt, vocab: config.vocabSize, seed: 3)
        let targets = GPTModel.nextTokenTargets(ids, batch: nb, time: nt)
        step = { s in
            let logits = gpt(
                ids, batch: nb, time: nt, context: ForwardContext(training: true, seed: 5, step: UInt64(s)))
            let loss = crossEntropy(logits: logits, targets: targets)
            loss.backward()
            return loss.item
        }
        let matmul = 6 * (4 * 384 * 384 + 2 * 384 * 1536) + 8192 * 384
        flops = flopsPerToken(matmulParameters: matmul, layers: 6, width: 384, time: nt)
    default:
        fatalError("unknown model \(name); use bert or gpt")
    }
    let optimizer = AdamW(parameters: parameters, learningRate: 1e-4, weightDecay: 0.01)
    for s in 0..<(warmup + steps) {
        let measured = s >= warmup
        if measured && profile {
            Profiler.isEnabled = true
            Profiler.mark()
        }
        let t0 = now()
        let c0 = Profiler.clock()
        for p in parameters { p.zeroGrad() }
        let loss = step(s)
        let c1 = Profiler.clock()
        optimizer.update()
        let t2 = now()
        let c2 = Profiler.clock()
        if measured && profile { Profiler.charge("adamw", forward: Double(c2 - c1) * 1e-9) }
        Profiler.isEnabled = false
        if measured {
            print(
                json([
                    "system": "swift", "model": name, "peft": peft, "batch": nb, "time": nt, "threads": Parallel.threads,
                    "seconds": t2 - t0, "thread_cpu_seconds": Double(c2 - c0) * 1e-9, "tokens": nb * nt,
                    "loss": Double(loss), "flops_per_token": flops,
                ]))
        }
    }
    print(
        json([
            "system": "swift", "model": name, "summary": true, "peak_rss_mib": peakRSSMiB(),
            "blas_core": BLAS.coreName, "threads": Parallel.threads,
        ]))
    if profile {
        let total = Profiler.forward.values.reduce(0, +) + Profiler.backward.values.reduce(0, +)
        var rows: [(String, Double, Double)] = []
        for op in Set(Profiler.forward.keys).union(Profiler.backward.keys) {
            rows.append((op, Profiler.forward[op] ?? 0, Profiler.backward[op] ?? 0))
        }
        rows.sort { $0.1 + $0.2 > $1.1 + $1.2 }
        var out = "per-op profile over \(steps) steps (\(name), B=\(nb), T=\(nt), threads \(Parallel.threads)):\n"
        out += "op".padding(toLength: 16, withPad: " ", startingAt: 0) + "   fwd s   bwd s   share\n"
        for (op, f, b) in rows {
            out +=
                op.padding(toLength: 16, withPad: " ", startingAt: 0)
                + String(format: " %7.3f %7.3f %6.1f%%\n", f / Double(steps), b / Double(steps), 100 * (f + b) / total)
        }
        FileHandle.standardError.write(out.data(using: .utf8)!)
    }
}

/// sgemm GFLOP/s on transformer shapes (NN, NT, TN), plus a correctness check against a Double reference.
func runSGEMM() {
    let shapes = [(4096, 1536, 384), (4096, 384, 1536), (4096, 384, 384), (384, 384, 4096), (128, 128, 32)]
    for (m, n, k) in shapes {
        for (ta, tb) in [(BLAS.Transpose.none, BLAS.Transpose.none), (.none, .transposed), (.transposed, .none)] {
            let a = Tensor(randomIds(m * k, vocab: 1000, seed: 1).map { Float($0) / 500 - 1 }, shape: [m * k])
            let b = Tensor(randomIds(k * n, vocab: 1000, seed: 2).map { Float($0) / 500 - 1 }, shape: [k * n])
            let c = Tensor(zeros: [m * n])
            let lda = ta == .none ? k : m
            let ldb = tb == .none ? n : k
            var best = Double.infinity
            var bestCPU = Double.infinity
            let reps = max(3, Int(2e9 / Double(2 * m * n * k)))
            for _ in 0..<reps {
                let t0 = now()
                let c0 = Profiler.clock()
                BLAS.sgemm(
                    ta, tb, m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, c: c.pointer, ldc: n)
                best = min(best, now() - t0)
                bestCPU = min(bestCPU, Double(Profiler.clock() - c0) * 1e-9)
            }
            // Spot-check 64 entries against a Double dot product.
            var maxRel = 0.0
            for s in 0..<64 {
                let (i, j) = ((s * 7919) % m, (s * 104729) % n)
                var ref = 0.0
                var mag = 0.0
                for p in 0..<k {
                    let av = Double(ta == .none ? a.pointer[i * lda + p] : a.pointer[p * lda + i])
                    let bv = Double(tb == .none ? b.pointer[p * ldb + j] : b.pointer[j * ldb + p])
                    ref += av * bv
                    mag += abs(av * bv)
                }
                maxRel = max(maxRel, abs(Double(c.pointer[i * n + j]) - ref) / max(mag, 1e-30))
            }
            print(
                json([
                    "system": "swift", "sgemm": "\(m)x\(n)x\(k)",
                    "trans": "\(ta == .none ? "N" : "T")\(tb == .none ? "N" : "T")",
                    "gflops": 2 * Double(m * n * k) / best / 1e9,
                    "gflops_per_cpu_second": 2 * Double(m * n * k) / bestCPU / 1e9, "max_rel_error": maxRel,
                    "threads": Parallel.threads, "blas_core": BLAS.coreName,
                ]))
        }
    }
}

let mode = CommandLine.arguments.dropFirst().first ?? "step"
Parallel.setThreads(Int(argument("threads", "1"))!)
switch mode {
case "sgemm":
    runSGEMM()
case "micro":
    runMicro()
case "forward":
    do { try runForward() } catch {
        FileHandle.standardError.write("tensor-bench forward: \(error)\n".data(using: .utf8)!)
        exit(1)
    }
case "step":
    let model = argument("model", "bert")
    runSteps(
        model: model, batch: Int(argument("batch", model == "bert" ? "32" : "8"))!,
        time: Int(argument("time", model == "bert" ? "128" : "256"))!, steps: Int(argument("steps", "3"))!,
        warmup: Int(argument("warmup", "1"))!, profile: CommandLine.arguments.contains("--profile"))
default:
    FileHandle.standardError.write("usage: tensor-bench step|sgemm|forward|micro [options]\n".data(using: .utf8)!)
    exit(2)
}
