// llama-bench: SmolLM2 (or any Llama GGUF) on the decoder paths of issue 12, measured in one process.
//
//   llama-bench load GGUF                     load time: random init then the file's weights (what the loaders
//                                             did before) against the loaders' unfilled init (what they do now)
//   llama-bench step GGUF [--peft full|lora] [--batch 1] [--time 128] [--steps 3] [--warmup 1] [--threads N]
//                                             tokens/s of a causal-LM training step (AdamW; LoRA r=8, alpha 16 on
//                                             the seven projections) on legal-corpus text
//   llama-bench zero-shot GGUF JSONL [--rows 200]
//                                             zero-shot accuracy of the instruction format (label words scored by
//                                             their log-likelihood) on the first N rows of a {text, label} file
//
// Prints one JSON line per measurement. Build with -c release; debug builds are many times slower.
import Foundation
import Models
import NN
import Tensor
import Tokenizers
import Training

func argument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--" + name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

func integer(_ name: String, _ fallback: Int) -> Int {
    let text = argument(name, "\(fallback)")
    guard let n = Int(text), n > 0 else { fail("--\(name) must be a positive integer, got '\(text)'") }
    return n
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("llama-bench: " + message + "\n").utf8))
    exit(2)
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

func emit(_ dict: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: dict, options: [.sortedKeys]) else { return }
    print(String(decoding: data, as: UTF8.self))
}

/// The `i`th argument after the mode that is neither an option nor an option's value.
func positional(_ i: Int, _ what: String) -> String {
    var values: [String] = []
    var skip = false
    for a in CommandLine.arguments.dropFirst(2) {
        if skip {
            skip = false
        } else if a.hasPrefix("--") {
            skip = true
        } else {
            values.append(a)
        }
    }
    guard i < values.count else { fail("missing \(what)") }
    return values[i]
}

func open(_ path: String) -> GGUFFile {
    do { return try GGUFFile(path: path) } catch { fail("\(error)") }
}

/// Before: a model drawn at random, then overwritten. After: the loader (zeros, then overwritten).
func runLoad(_ path: String) {
    let file = open(path)
    do {
        let config = try LlamaConfig(gguf: file)
        var t0 = now()
        let weights = try file.llamaWeights(config: config)
        let dequantize = now() - t0
        t0 = now()
        let random = LlamaModel(config: config, seed: 0)
        let randomInit = now() - t0
        try random.load(weights)
        let before = now() - t0 + dequantize
        t0 = now()
        let loaded = try LlamaModel(gguf: file)
        let after = now() - t0
        let same = zip(random.namedParameters, loaded.namedParameters).allSatisfy { $0.tensor.scalars == $1.tensor.scalars }
        emit([
            "measure": "load", "file": (path as NSString).lastPathComponent, "dequantize_seconds": dequantize,
            "random_init_seconds": randomInit, "before_seconds": before, "after_seconds": after,
            "same_weights": same, "parameters": loaded.parameterCount,
        ])
    } catch { fail("\(error)") }
}

func legalText() -> String {
    let root = argument("assets", "assets")
    guard let text = try? String(contentsOfFile: root + "/corpora/legal/licenses.txt", encoding: .utf8) else {
        fail("\(root)/corpora/legal/licenses.txt not found (run scripts/fetch-assets, or --assets DIR)")
    }
    return String(text.prefix(200_000))
}

func runSteps(_ path: String) {
    let file = open(path)
    let (nb, nt) = (integer("batch", 1), integer("time", 128))
    let (steps, warmup) = (integer("steps", 3), Int(argument("warmup", "1")) ?? 1)
    let peft = argument("peft", "full")
    do {
        let model = try LlamaModel(gguf: file)
        let tokenizer = try GGUFTokenizer(gguf: file).tokenizer()
        let ids = try tokenizer.encode(legalText(), addSpecialTokens: false).ids32
        guard ids.count > (warmup + steps) * nb * nt + 1 else { fail("the corpus is too short for these shapes") }
        if peft == "lora" {
            var ini = Initializer(seed: 2)
            try model.applyLoRA(
                LoRAConfiguration(
                    rank: 8, alpha: 16,
                    targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
                initializer: &ini, context: ContextSource())
            model.trainOnly(matching: ["*.lora_*"])
        } else if peft != "full" {
            fail("--peft must be full or lora")
        }
        let lm = LanguageModel.llama(model)
        let optimizer = AdamW(
            groups: [.init(name: "all", parameters: model.trainableParameters, learningRate: 1e-4, weightDecay: 0.01)])
        for s in 0..<(warmup + steps) {
            let o = s * nb * nt
            let rows = (0..<nb).map { Array(ids[(o + $0 * nt)..<(o + ($0 + 1) * nt + 1)]) }
            var batchIds: [Int32] = []
            var targets: [Int32] = []
            for r in rows {
                batchIds += r.prefix(nt)
                targets += r.dropFirst()
            }
            let batch = LMBatch(
                batch: nb, time: nt, ids: batchIds, mask: [Int32](repeating: 1, count: nb * nt), targets: targets,
                tokens: nb * nt)
            let t0 = now()
            model.zeroGrad()
            let loss = GradMode.withGrad { () -> Float in
                let (l, _) = lm.loss(batch, context: ForwardContext(training: true, seed: 5, step: UInt64(s)))
                l.backward()
                return l.item
            }
            optimizer.update()
            let seconds = now() - t0
            if s >= warmup {
                emit([
                    "measure": "clm_step", "peft": peft, "batch": nb, "time": nt, "threads": Parallel.threads,
                    "seconds": seconds, "tokens_per_second": Double(nb * nt) / seconds, "loss": Double(loss),
                    "trainable_parameters": model.trainableParameterCount, "parameters": model.parameterCount,
                ])
            }
        }
    } catch { fail("\(error)") }
}

func runZeroShot(_ path: String, _ data: String) {
    let file = open(path)
    let limit = integer("rows", 200)
    do {
        let model = try LlamaModel(gguf: file)
        let tokenizer = try GGUFTokenizer(gguf: file).tokenizer()
        let chat = try ChatMLTemplate(gguf: file)
        guard let text = try? String(contentsOfFile: data, encoding: .utf8) else { fail("cannot read \(data)") }
        var rows: [(text: String, spam: Bool)] = []
        for (n, line) in text.split(separator: "\n").prefix(limit).enumerated() {
            guard let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let body = row["text"] as? String, let label = row["label"] as? String, label == "ham" || label == "spam"
            else { fail("\(data):\(n + 1): expected {\"text\", \"label\": ham|spam}") }
            rows.append((body, label == "spam"))
        }
        // Two phrasings of the task: the dataset's own label words, and a yes/no question. Class 1 is spam.
        let tasks = [
            InstructionTask(
                name: "spam", template: "Is this SMS message spam or ham (not spam)? Answer with one word.\n{text}",
                labels: ["ham", "spam"]),
            InstructionTask(
                name: "spam-yes-no", template: "Is the following SMS message spam? Answer yes or no.\n{text}",
                labels: ["no", "yes"]),
        ]
        for task in tasks {
            let format = try InstructionFormat(task: task, chat: chat, maxLength: 256) {
                try tokenizer.encode($0, addSpecialTokens: false).ids32
            }
            var (correct, predicted, truePositives) = (0, [0, 0], 0)
            let t0 = now()
            for row in rows {
                let prompt = format.prompt(text: try tokenizer.encode(row.text, addSpecialTokens: false).ids32)
                let (guess, _) = try LabelScorer.predict(model: model, prompt: prompt, answers: format.answers)
                predicted[guess] += 1
                if (guess == 1) == row.spam { correct += 1 }
                if guess == 1 && row.spam { truePositives += 1 }
            }
            let spam = rows.filter(\.spam).count
            emit([
                "measure": "zero_shot", "task": task.name, "rows": rows.count, "spam_rows": spam,
                "accuracy": Double(correct) / Double(max(1, rows.count)),
                "majority_baseline": Double(rows.count - spam) / Double(max(1, rows.count)),
                "spam_recall": Double(truePositives) / Double(max(1, spam)),
                "predicted": [task.labels[0]: predicted[0], task.labels[1]: predicted[1]], "seconds": now() - t0,
                "template": task.template, "threads": Parallel.threads,
            ])
        }
    } catch { fail("\(error)") }
}

Parallel.setThreads(integer("threads", 1))
switch CommandLine.arguments.dropFirst().first ?? "" {
case "load": runLoad(positional(0, "GGUF"))
case "step": runSteps(positional(0, "GGUF"))
case "zero-shot": runZeroShot(positional(0, "GGUF"), positional(1, "JSONL"))
default: fail("usage: llama-bench load|step|zero-shot GGUF [JSONL] [options]")
}
