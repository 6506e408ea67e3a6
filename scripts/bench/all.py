"""Driver of scripts/bench/all: runs every comparison of the project side by side and writes docs/performance.md.

Sections (each figure is a ratio of two systems measured in this run, repetitions interleaved):
  training   tensor-bench step (full fine-tuning, LoRA) vs scripts/bench/tensor_torch.py (PyTorch, PEFT for LoRA);
             the domain-pretrain stage executable (MLM) vs scripts/bench/dapt_torch.py --gather; 1 and 2 threads;
             model-FLOPs utilisation against tensor-bench sgemm measured in the same run.
  inference  tensor-bench forward vs PyTorch vs ONNX Runtime (scripts/bench/inference_ref.py) on the same
             pre-tokenised SMS spam test texts; outputs checked equal within a tolerance.
  tokenizers scripts/bench/tokenizers.sh (WordPiece encode, byte-level BPE training vs HF tokenizers).
  engine     scripts/bench/engine.sh (no-op re-run of `finetunectl run`, digest speed vs sha256sum).
  daemon     scripts/bench/daemon.sh (pick-up latency, idle RSS/CPU).
Swift processes run with OPENBLAS_CORETYPE unset (OpenBLAS picks the kernels for this CPU); the header prints the
core name in both configurations, and the sgemm and inference checks verify the numerics in that configuration.
Called by scripts/bench/all (which builds and provides the virtualenv); see its header for the options.
"""
import argparse
import glob
import json
import os
import re
import statistics as st
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "scripts", "bench")
# Matmul parameters of the all-MiniLM-L6-v2 trunk (6 layers x (4 d^2 + 2 d 4d)), d = 384, vocabulary 30522.
L, D, V = 6, 384, 30522
TRUNK = L * (4 * D * D + 2 * D * 4 * D)
CLS = D * D + D * 2  # pooler + 2-way classifier
# The report's sections, in order: each is a method of Bench that measures and one (name + "_md") that writes.
SECTIONS = ["training", "stage", "llama", "inference", "tokenizers", "engine"]


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')} load {load()}] {msg}", file=sys.stderr, flush=True)


def swift_env(threads):
    return {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}


def torch_env(threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def run_json(cmd, env=None, stdin=None, log_to=None):
    """Runs cmd, returns the JSON objects it printed one per line (other lines are kept in the log)."""
    p = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
    if log_to:
        with open(log_to, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr[-4000:]}\n")
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... exited {p.returncode}: {p.stderr.strip()[-1500:]}")
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]


def corename(env):
    code = ("import ctypes; l = ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype = ctypes.c_char_p; "
            "print(l.openblas_get_corename().decode())")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return p.stdout.strip() or f"unknown ({p.stderr.strip()[-200:]})"


def med(xs):
    return st.median(xs) if xs else float("nan")


def fmt(x, digits=0):
    return "n/a" if x != x else f"{x:,.{digits}f}"


class Bench:
    def __init__(self, a):
        self.a = a
        self.bin = a.bin
        self.py = a.python
        self.work = tempfile.mkdtemp(prefix="bench-all-")
        self.raw = os.path.join(self.work, "raw.log")
        self.threads = [int(t) for t in a.threads.split()]
        self.failures = []
        self.sections = []

    # ---- header ------------------------------------------------------------------------------------------------
    def header(self):
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
        fam = {k: next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith(k)), "?")
               for k in ("cpu family", "model\t")}
        vec = [f for f in ("avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx2", "fma") if f in flags]
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        versions = subprocess.run(
            [self.py, "-c", "import torch, transformers, peft, onnxruntime, tokenizers; print(torch.__version__, "
             "transformers.__version__, peft.__version__, onnxruntime.__version__, tokenizers.__version__)"],
            capture_output=True, text=True).stdout.split()
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True)
        swift_version = (swift.stdout + swift.stderr).splitlines()[0] if (swift.stdout + swift.stderr) else "?"
        env_core = os.environ.get("OPENBLAS_CORETYPE")
        self.info = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit + (" (with local changes)" if dirty else ""),
            "cpu": f"{cpu} (family {fam['cpu family']}, model {fam['model	']})", "cores": os.cpu_count(),
            "vector": " ".join(vec), "mem": next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")),
            "core_unset": corename({k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}),
            "core_env": corename(dict(os.environ)), "coretype": env_core,
            "load_before": load(), "versions": versions, "swift": swift_version,
        }

    def provenance(self):
        """The header lines a section carries when a partial run (--only) merges it into an existing report."""
        if not self.partial:
            return []
        i = self.info
        return [f"*Measured by `{self.a.command}` on {i['date']} (commit {i['commit']}; {i['cpu']}, {i['cores']} "
                f"cores; OpenBLAS `{i['core_unset']}`; load average before this run {i['load_before']}, after the "
                f"section {load()}). The other sections of this page come from the runs their headers name.*", ""]

    # ---- training ----------------------------------------------------------------------------------------------
    def training(self):
        a = self.a
        tb = os.path.join(self.bin, "tensor-bench")
        stage = os.path.join(self.bin, "finetuned-stage-domain-pretrain")
        model = os.path.join(a.assets, "all-MiniLM-L6-v2")
        self.sgemm = {}
        rows = []  # dicts: kind, system, threads, tps (list of per-step tokens/s)
        for t in self.threads:
            log(f"sgemm, {t} thread(s)")
            s = run_json([tb, "sgemm", "--threads", str(t)], env=swift_env(t), log_to=self.raw)
            big = [r["gflops"] for r in s if r["sgemm"] != "128x128x32"]
            self.sgemm[t] = {"median": med(big), "best": max(big), "err": max(r["max_rel_error"] for r in s),
                             "core": s[0]["blas_core"],
                             "per_cpu_s": med([r["gflops_per_cpu_second"] for r in s if r["sgemm"] != "128x128x32"])}
            for rep in range(a.reps):
                for peft in ("full", "lora"):
                    log(f"training {peft}, {t} thread(s), rep {rep + 1}/{a.reps}: swift, torch")
                    out = run_json([tb, "step", "--model", "bert", "--peft", peft, "--threads", str(t),
                                    "--steps", str(a.steps), "--warmup", "1"], env=swift_env(t), log_to=self.raw)
                    rows.append({"kind": peft, "system": "ours", "threads": t,
                                 "tps": [r["tokens"] / r["seconds"] for r in out if "seconds" in r],
                                 "tpcpu": [r["tokens"] / r["thread_cpu_seconds"] for r in out if "seconds" in r]})
                    out = run_json([self.py, os.path.join(BENCH, "tensor_torch.py"), "--model", "bert", "--peft", peft,
                                    "--threads", str(t), "--steps", str(a.steps), "--warmup", "1"],
                                   env=torch_env(t), log_to=self.raw)
                    rows.append({"kind": peft, "system": "torch", "threads": t,
                                 "tps": [r["tokens"] / r["seconds"] for r in out if "seconds" in r],
                                 "tpcpu": [r["tokens"] / r["thread_cpu_seconds"] for r in out if "seconds" in r]})
                log(f"training mlm, {t} thread(s), rep {rep + 1}/{a.reps}: stage, torch")
                params = {"corpus": "corpus", "steps": a.steps + 1, "head_warmup_steps": 1, "batch_size": 16,
                          "eval_every": 0, "eval_rows": 16, "checkpoint_every": 0}
                name = f"mlm-{t}-{rep}"
                req = subprocess.run([sys.executable, os.path.join(BENCH, "dapt_workspace.py"), "--dir", self.work,
                                      "--model", model, "--threads", str(t), "--params", json.dumps(params),
                                      "--name", name], capture_output=True, text=True, check=True).stdout
                run_json([stage], env=swift_env(t), stdin=req, log_to=self.raw)
                m = json.load(open(os.path.join(self.work, name, "output", "metrics.json")))
                rows.append({"kind": "mlm", "system": "ours", "threads": t,
                             "tps": [m["tokens_per_second_median"]["training"]]})
                out = run_json([self.py, os.path.join(BENCH, "dapt_torch.py"), "--model", model, "--threads", str(t),
                                "--steps", str(a.steps), "--warmup", "1", "--gather"], env=torch_env(t),
                               log_to=self.raw)
                rows.append({"kind": "mlm", "system": "torch", "threads": t,
                             "tps": [out[0]["tokens_per_second_median"]]})
        self.train_rows = rows

    def training_md(self):
        # Model FLOPs per token, counted alike for both systems (notes/performance.md): 6 x matmul parameters
        # + 12 L d T for attention; LoRA: the frozen base needs no weight gradients (4 x instead of 6 x);
        # MLM: the trunk plus the head (transform d^2 + decoder d V) at the 15% masked positions, batch 16 x 128.
        T = 128
        attn = 12 * L * D * T
        flops = {"full": 6 * (TRUNK + CLS) + attn, "lora": 4 * (TRUNK + CLS) + attn,
                 "mlm": 6 * TRUNK + attn + 0.15 * 126 / 128 * 6 * (D * D + D * V)}
        label = {"full": "full fine-tuning, cls head, 32 x 128", "lora": "LoRA r=8 (all projections), 32 x 128",
                 "mlm": "MLM (domain-pretrain stage), 16 x 128"}
        ref = {"full": "PyTorch", "lora": "PyTorch + PEFT", "mlm": "PyTorch, head at masked positions"}
        out = ["## Training throughput (tokens/s)", "",
               f"One step = forward + backward + AdamW, dropout on, MiniLM-L6 shape (random ids, same batch shape "
               f"on both sides). Ours: `tensor-bench step --model bert [--peft lora]` and the "
               f"`finetuned-stage-domain-pretrain` executable on a synthetic packed corpus "
               f"(scripts/bench/dapt_workspace.py; median tokens/s of its training phase from metrics.json); "
               f"PyTorch: scripts/bench/tensor_torch.py (`--peft lora` uses PEFT) and scripts/bench/dapt_torch.py "
               f"--gather. {self.a.reps} process(es) per system and configuration, interleaved, each 1 warm-up + "
               f"{self.a.steps} measured steps; medians over all measured steps. MFU = model FLOP/s / the median "
               f"sgemm rate on transformer shapes at the same thread count, measured in this run.", ""]
        for t in self.threads:
            s = self.sgemm[t]
            out.append(f"- sgemm, {t} thread(s), OpenBLAS `{s['core']}`: median {s['median']:.0f} GFLOP/s "
                       f"(best {s['best']:.0f}); max relative error vs float64 {s['err']:.1e}")
        out += ["", "| workload | threads | ours tok/s | reference | reference tok/s | ours ÷ reference | "
                "MFU ours | MFU reference | MFU by CPU time, ours / reference |", "|---|---|---|---|---|---|---|---|---|"]
        self.train_ratios = {}
        for kind in ("full", "lora", "mlm"):
            for t in self.threads:
                o = med([x for r in self.train_rows if r["kind"] == kind and r["system"] == "ours" and r["threads"] == t for x in r["tps"]])
                p = med([x for r in self.train_rows if r["kind"] == kind and r["system"] == "torch" and r["threads"] == t for x in r["tps"]])
                rate = self.sgemm[t]["median"] * 1e9
                self.train_ratios[(kind, t)] = o / p
                cpu = "n/a"
                if t == 1 and kind != "mlm":
                    oc, pc = (med([x for r in self.train_rows if r["kind"] == kind and r["system"] == sy
                                   and r["threads"] == t for x in r["tpcpu"]]) for sy in ("ours", "torch"))
                    per = self.sgemm[t]["per_cpu_s"] * 1e9
                    cpu = f"{oc * flops[kind] / per:.0%} / {pc * flops[kind] / per:.0%}"
                out.append(f"| {label[kind]} | {t} | {fmt(o)} | {ref[kind]} | {fmt(p)} | **{o / p:.2f}x** | "
                           f"{o * flops[kind] / rate:.0%} | {p * flops[kind] / rate:.0%} | {cpu} |")
        out += ["", "FLOPs per token: full " + f"{flops['full'] / 1e6:.1f} M, LoRA {flops['lora'] / 1e6:.1f} M "
                f"(no weight gradients for the frozen base), MLM {flops['mlm'] / 1e6:.1f} M (head at the 15% "
                "masked positions). With other jobs on the machine the wall-clock rates (and the sgemm rate, measured "
                "at another moment) move with the load, so wall-clock MFU can even exceed 100%; the ratio of two "
                "systems measured alternately is the figure to read. MFU by CPU time (one thread, full and LoRA): "
                "model FLOPs per CPU-second of the working thread against sgemm FLOPs per CPU-second — it does not "
                "count time spent waiting for a core.", ""]
        return out

    # ---- inference ---------------------------------------------------------------------------------------------
    def inference(self):
        a = self.a
        model = os.path.join(a.assets, "all-MiniLM-L6-v2")
        ref = os.path.join(BENCH, "inference_ref.py")
        inputs = os.path.join(self.work, "inputs.json")
        onnx = os.path.join(self.work, "minilm.onnx")
        log("inference: tokenising the inputs, exporting MiniLM to ONNX")
        self.inf_inputs = run_json([self.py, ref, "inputs", "--model", model, "--data", a.inference_data,
                                    "--rows", str(a.inference_rows), "--batch", "32", "--max-length", "128",
                                    "--out", inputs], log_to=self.raw)[0]
        run_json([self.py, ref, "export", "--model", model, "--out", onnx], log_to=self.raw)
        rows = []
        emb = {}
        for t in self.threads:
            for rep in range(a.inference_reps):
                log(f"inference, {t} thread(s), rep {rep + 1}/{a.inference_reps}: swift, torch, onnxruntime")
                for system, cmd, env in [
                    ("ours", [os.path.join(self.bin, "tensor-bench"), "forward", "--model-dir", model], swift_env(t)),
                    ("torch", [self.py, ref, "torch", "--model", model], torch_env(t)),
                    ("onnxruntime", [self.py, ref, "onnx", "--onnx", onnx], torch_env(t)),
                ]:
                    path = os.path.join(self.work, f"emb-{system}-{t}.f32")
                    out = run_json(cmd + ["--inputs", inputs, "--threads", str(t), "--reps", str(a.inference_passes),
                                          "--warmup", "1", "--out", path], env=env, log_to=self.raw)
                    rows.append({"system": system, "threads": t,
                                 "rps": [r["rows"] / r["seconds"] for r in out if "seconds" in r],
                                 "cpu": [r["thread_cpu_seconds"] for r in out if "seconds" in r]})
                    emb[(system, t)] = path
        self.inf_rows = rows
        self.inf_checks = []
        for t in self.threads:
            files = [f"{s}={emb[(s, t)]}" for s in ("ours", "torch", "onnxruntime")]
            p = subprocess.run([self.py, ref, "check", "--rows", str(self.inf_inputs["rows"]), "--tolerance",
                                str(a.tolerance)] + files, capture_output=True, text=True)
            checks = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
            self.inf_checks.append((t, checks, p.returncode == 0))
            if p.returncode != 0:
                self.failures.append(f"inference outputs differ beyond {a.tolerance} at {t} thread(s)")

    def inference_md(self):
        i = self.inf_inputs
        out = ["## Inference (rows/s)", "",
               f"MiniLM sentence embeddings (trunk forward, mean pooling over real tokens, L2 normalisation) of the "
               f"{i['rows']} texts of `{os.path.relpath(self.a.inference_data, ROOT)}`, batches of 32 in file "
               f"order, truncated to 128 tokens, each batch padded to its longest row ({i['real_tokens']} real, "
               f"{i['padded_tokens']} padded tokens). All three read the same token ids (HF tokenizers, the "
               f"model's tokenizer.json). Ours: `tensor-bench forward` (`BertModel.sentenceEmbeddings`: the "
               f"engine's BertModel inference forward, no autodiff tape, then the pooling); PyTorch: transformers BertModel under inference_mode; ONNX Runtime: the same model "
               f"exported with torch.onnx (opset 17) into a temporary folder, CPU provider, all graph "
               f"optimisations. {self.a.inference_reps} process(es) per system and thread count, interleaved, each {self.a.inference_passes} "
               f"timed pass(es) over all rows after one warm-up batch; medians.", "",
               "| threads | ours rows/s | PyTorch rows/s | ONNX Runtime rows/s | ours ÷ PyTorch | ours ÷ ONNX Runtime | "
               "CPU s/pass ours / PyTorch / ORT |", "|---|---|---|---|---|---|---|"]
        self.inf_ratios = {}
        for t in self.threads:
            r = {s: med([x for row in self.inf_rows if row["system"] == s and row["threads"] == t for x in row["rps"]])
                 for s in ("ours", "torch", "onnxruntime")}
            c = {s: med([x for row in self.inf_rows if row["system"] == s and row["threads"] == t for x in row["cpu"]])
                 for s in ("ours", "torch", "onnxruntime")}
            self.inf_ratios[t] = (r["ours"] / r["torch"], r["ours"] / r["onnxruntime"])
            out.append(f"| {t} | {fmt(r['ours'], 1)} | {fmt(r['torch'], 1)} | {fmt(r['onnxruntime'], 1)} | "
                       f"**{r['ours'] / r['torch']:.2f}x** | **{r['ours'] / r['onnxruntime']:.2f}x** | "
                       f"{c['ours']:.2f} / {c['torch']:.2f} / {c['onnxruntime']:.2f} |")
        out += ["", f"Outputs compared (max |difference| of the embeddings, tolerance {self.a.tolerance}; ours with "
                "OPENBLAS_CORETYPE unset):", ""]
        for t, checks, ok in self.inf_checks:
            out.append(f"- {t} thread(s): " + "; ".join(
                f"{c['pair']}: {c['max_abs_diff']:.1e} (min cosine {c['min_cosine']:.6f})" for c in checks)
                + ("" if ok else " — **beyond tolerance**"))
        out += ["", "CPU s/pass is the CPU time of the calling thread (all the work with one thread; with two, the "
                "worker threads are not counted).", ""]
        return out

    # ---- the multitask-finetune stage (issue 10) ---------------------------------------------------------------
    STAGE_TASKS = {"license": ("license", "classification", "macro_f1"), "question": ("question", "classification", "accuracy"),
                   "sentiment": ("sentiment", "regression", "pearson"), "spam": ("spam", "classification", "macro_f1")}

    def tokenize_artifact(self):
        """Runs `finetunectl run` on a tokenize-only pipeline of the study's 4 inputs; returns the artifact folder."""
        if getattr(self, "artifact", None):
            return self.artifact
        assets = self.a.assets
        y = (f"version: 1\nname: bench-stage\nseed: 13\nmodel: {{ base: {assets}/all-MiniLM-L6-v2 }}\ndata:\n"
             f"  spam:      {{ path: {assets}/data/spam/*.jsonl, format: jsonl, text: text, label: label, on_error: skip }}\n"
             f"  question:  {{ path: {assets}/data/trec/*.jsonl, format: jsonl, text: text, label: coarse, on_error: skip }}\n"
             f"  sentiment: {{ path: {assets}/data/sentiment/*.jsonl, format: jsonl, text: text, label: score, on_error: skip }}\n"
             f"  license:   {{ path: {assets}/data/licenses/*.jsonl, format: jsonl, text: text, label: label, on_error: skip }}\n"
             "stages:\n  tokenize:\n    plugin: tokenize\n    inputs: [spam, question, sentiment, license]\n"
             "    with: { max_length: 128, labels: { sentiment: number, spam: class, question: class, license: class } }\n")
        path = os.path.join(self.work, "bench-stage.yaml")
        open(path, "w").write(y)
        state = os.path.join(self.work, "state")
        log("stage: tokenizing the 4 task inputs (finetunectl run, tokenize stage)")
        p = subprocess.run([os.path.join(self.bin, "finetunectl"), "run", path, "--state-dir", state, "--threads", "2",
                            "--plugin-dir", self.bin], capture_output=True, text=True)
        with open(self.raw, "a") as f:
            f.write(f"$ finetunectl run {path}\n{p.stdout}{p.stderr[-4000:]}\n")
        if p.returncode != 0:
            raise RuntimeError(f"finetunectl run {path} exited {p.returncode}: {p.stderr.strip()[-1500:]}")
        for m in glob.glob(os.path.join(state, "cache", "*", "*", "manifest.json")):
            j = json.load(open(m))
            if j.get("pipeline") == "bench-stage" and j.get("stage") == "tokenize":
                self.artifact = os.path.join(os.path.dirname(m), "files")
                return self.artifact
        raise RuntimeError(f"no tokenize artifact in {state}/cache")

    def stage_request(self, name, peft, threads):
        """The plugin request (docs/plugin-protocol.md) of one multitask-finetune run: the study's mt-lora
        configuration (or the same with full fine-tuning), evaluation only after the last step, no checkpoints."""
        a = self.a
        params = {"pooling": "mean", "sampling": {"strategy": "temperature", "temperature": 2.0},
                  "tasks": {t: {"input": i, "kind": k, "metric": m} for t, (i, k, m) in self.STAGE_TASKS.items()},
                  "peft": {"method": "lora", "rank": 8, "alpha": 16, "dropout": 0.1} if peft == "lora" else {"method": "none"},
                  "train": {"steps": a.stage_steps, "batch_size": 16, "lr": 5e-4 if peft == "lora" else 5e-5,
                            "head_lr": 2e-3, "eval_every": 0, "eval_rows": 16, "checkpoint_every": 0, "seed": 1}}
        run_dir = os.path.join(self.work, name)
        for d in ("output", "scratch"):
            os.makedirs(os.path.join(run_dir, d), exist_ok=True)
        return run_dir, json.dumps({"protocol": 1, "command": "run", "run": {
            "pipeline": "bench-stage", "stage": "mt", "runID": name, "params": params,
            "upstream": {"tokenize": self.artifact}, "data": {},
            "modelBase": os.path.join(a.assets, "all-MiniLM-L6-v2"), "outputDir": os.path.join(run_dir, "output"),
            "scratchDir": os.path.join(run_dir, "scratch"), "seed": 1, "threads": threads}})

    def stage(self):
        a = self.a
        self.tokenize_artifact()
        exe = os.path.join(self.bin, "finetuned-stage-multitask-finetune")
        w = a.stage_warmup
        rows = []
        for t in self.threads:
            for rep in range(a.reps):
                for peft in ("full", "lora"):
                    log(f"stage {peft}, {t} thread(s), rep {rep + 1}/{a.reps}: multitask-finetune stage, torch")
                    name = f"mt-{peft}-{t}-{rep}"
                    run_dir, req = self.stage_request(name, peft, t)
                    events = run_json([exe], env=swift_env(t), stdin=req, log_to=self.raw)
                    out = os.path.join(run_dir, "output")
                    m = json.load(open(os.path.join(out, "metrics.json")))
                    curve_path = os.path.join(out, "curve.jsonl")
                    curve = [json.loads(l) for l in open(curve_path)]
                    # The loop's tokens_per_second metric after step s is tokens(s) / elapsed(s) since the start
                    # of training (evaluations and checkpoints excluded): elapsed(s) recovers each step's time.
                    rate = {e["step"]: e["value"] for e in events
                            if e.get("event") == "metric" and e.get("name") == "tokens_per_second"}
                    elapsed = [c["tokens"] / rate[c["step"]] for c in curve]
                    tokens = [c["tokens"] for c in curve]
                    rows.append({"peft": peft, "system": "ours", "threads": t, "all": m["tokens_per_second"],
                                 "seconds": elapsed[-1] - elapsed[w - 1], "tokens": tokens[-1] - tokens[w - 1],
                                 "trainable": m["trainable_parameters"], "share": m["trainable_share"]})
                    tr = run_json([self.py, os.path.join(BENCH, "stage_torch.py"), "--artifact", self.artifact,
                                   "--model", os.path.join(a.assets, "all-MiniLM-L6-v2"), "--peft", peft,
                                   "--tasks", json.dumps({k: {"input": i, "kind": kd} for k, (i, kd, _) in self.STAGE_TASKS.items()}),
                                   "--steps", str(a.stage_steps), "--seed", "1", "--threads", str(t),
                                   "--lr", "5e-4" if peft == "lora" else "5e-5", "--curve", curve_path],
                                  env=torch_env(t), log_to=self.raw)
                    steps = [r for r in tr if "step" in r]
                    s = tr[-1]
                    rows.append({"peft": peft, "system": "torch", "threads": t, "all": s["tokens_per_second"],
                                 "seconds": sum(r["seconds"] for r in steps[w:]), "tokens": sum(r["tokens"] for r in steps[w:]),
                                 "trainable": s["trainable_parameters"], "share": s["trainable_parameters"] / s["parameters"],
                                 "checked": s["checked_against_curve"] and s["mismatch_count"] == 0})
                    self.stage_tokens = tokens[-1]
        self.stage_rows = rows

    def stage_md(self):
        a, w = self.a, self.a.stage_warmup
        out = ["## Multitask stage: LoRA and full fine-tuning (tokens/s)", ""] + self.provenance() + [
            f"The `multitask-finetune` stage executable itself (`finetuned-stage-multitask-finetune`, given its "
            f"plugin request the way `finetunectl run` does; upstream: a tokenize artifact written by `finetunectl "
            f"run` from the study's four inputs): the study's `mt-lora` configuration — all-MiniLM-L6-v2, tasks "
            f"license, question, sentiment (regression), spam, temperature sampling (T = 2) of single-task batches "
            f"of 16 rows, max_length 128, each batch padded to its longest row, mean pooling, LoRA r = 8, alpha 16, "
            f"dropout 0.1 on all six projections (or full fine-tuning), AdamW, gradient clip 1 — for "
            f"{a.stage_steps} steps, evaluated only after the last (not timed), no checkpoints. PyTorch + PEFT: "
            f"scripts/bench/stage_torch.py re-implements the stage's seeded task and row draws, reads the same "
            f"rows from the artifact's token shards and runs the same step (transformers BertModel without pooler, "
            f"PEFT LoRA on the same modules, the same heads, losses, clip and AdamW groups); it checks every step's "
            f"task and real-token count against the stage's curve.jsonl, so both sides trained on the same "
            f"{self.stage_tokens:,} real tokens in the same batches. tokens/s counts real (unpadded) tokens, as the "
            f"stage reports them; *steady* leaves out the first {w} step(s) (ours: per-step times recovered from the "
            f"stage's `tokens_per_second` metric events), *all steps* is metrics.json's `tokens_per_second` and "
            f"the same quotient on the PyTorch side. {a.reps} process(es) per system and configuration, interleaved.", "",
            "| configuration | threads | ours tok/s steady | PyTorch tok/s steady | ours ÷ PyTorch | ours tok/s all steps "
            "| PyTorch tok/s all steps | trainable (ours / PyTorch) |", "|---|---|---|---|---|---|---|---|"]
        self.stage_ratios = {}
        steady = {}
        for peft in ("lora", "full"):
            for t in self.threads:
                sel = lambda sy, key: [r[key] for r in self.stage_rows if r["peft"] == peft and r["system"] == sy and r["threads"] == t]
                o = med([x / y for x, y in zip(sel("ours", "tokens"), sel("ours", "seconds"))])
                p = med([x / y for x, y in zip(sel("torch", "tokens"), sel("torch", "seconds"))])
                steady[(peft, t)] = (med(sel("ours", "seconds")), med(sel("torch", "seconds")))
                self.stage_ratios[(peft, t)] = o / p
                tro, trp = sel("ours", "trainable")[0], sel("torch", "trainable")[0]
                label = "LoRA r=8, all projections (mt-lora)" if peft == "lora" else "full fine-tuning (mt-lora without LoRA)"
                out.append(f"| {label} | {t} | {fmt(o)} | {fmt(p)} | **{o / p:.2f}x** | {fmt(med(sel('ours', 'all')))} | "
                           f"{fmt(med(sel('torch', 'all')))} | {tro:,} / {trp:,} |")
        out += ["", "LoRA step time ÷ full step time on the same batches (steady steps; below 1: the LoRA step is "
                "cheaper — the frozen weights' gradients are skipped):", "",
                "| threads | ours | PyTorch + PEFT |", "|---|---|---|"]
        for t in self.threads:
            (ol, pl), (of, pf) = steady[("lora", t)], steady[("full", t)]
            out.append(f"| {t} | **{ol / of:.2f}** | **{pl / pf:.2f}** |")
        checked = all(r.get("checked", True) for r in self.stage_rows)
        out += ["", "Same batches on both sides: " + ("every PyTorch run matched the stage's curve step for step."
                                                       if checked else "**a PyTorch run did not match the stage's curve**."), ""]
        return out

    # ---- the Llama decoder (issue 12) ---------------------------------------------------------------------------
    def llama(self):
        a = self.a
        gguf = os.path.join(a.assets, "SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")
        if not os.path.isfile(gguf):
            raise RuntimeError(f"{gguf} missing: run scripts/fetch-assets")
        shapes = a.llama_shapes.split(",")
        rows = []
        for t in self.threads:
            for rep in range(a.reps if a.llama_reps is None else a.llama_reps):
                for shape in shapes:
                    nb, nt = shape.split("x")
                    log(f"llama lora {shape}, {t} thread(s), rep {rep + 1}: llama-bench step")
                    out = run_json([os.path.join(self.bin, "llama-bench"), "step", gguf, "--peft", "lora", "--batch", nb,
                                    "--time", nt, "--steps", str(a.llama_steps), "--warmup", "1", "--threads", str(t),
                                    "--assets", a.assets], env=swift_env(t), log_to=self.raw)
                    for r in out:
                        rows.append({"system": "ours", "shape": shape, "threads": t, "seconds": r["seconds"],
                                     "tps": r["tokens_per_second"], "loss": r["loss"], "trainable": r["trainable_parameters"]})
                log(f"llama lora {','.join(shapes)}, {t} thread(s), rep {rep + 1}: transformers + PEFT")
                out = run_json([self.py, os.path.join(BENCH, "llama_torch.py"), "--gguf", gguf, "--assets", a.assets,
                                "--shapes", ",".join(shapes), "--peft", "lora", "--steps", str(a.llama_steps),
                                "--warmup", "1", "--threads", str(t)], env=torch_env(t), log_to=self.raw)
                for r in out:
                    if "step" in r and not r["warmup"]:
                        rows.append({"system": "torch", "shape": f"{r['batch']}x{r['time']}", "threads": t,
                                     "seconds": r["seconds"], "tps": r["tokens_per_second"], "loss": r["loss"],
                                     "trainable": r["trainable_parameters"]})
        self.llama_rows = rows

    def llama_md(self):
        a = self.a
        out = ["## Decoder: SmolLM2-135M LoRA training step (tokens/s)", ""] + self.provenance() + [
            f"One causal-LM training step of SmolLM2-135M-Instruct (its Q4_1 GGUF dequantized to float32 on both "
            f"sides), LoRA r = 8, alpha 16, dropout 0 on the seven projections (q, k, v, o, gate, up, down), AdamW "
            f"lr 1e-4, loss over every position's next token (logits over the 49,152-word vocabulary at every "
            f"position). Ours: `llama-bench step GGUF --peft lora --batch B --time T` (Benchmarks/LlamaBench); "
            f"PyTorch + PEFT: scripts/bench/llama_torch.py — transformers `LlamaForCausalLM` loaded from the same "
            f"GGUF (`gguf_file=`, float32) with PEFT's LoRA on the same modules. Both take consecutive windows of "
            f"the legal corpus (licenses.txt) encoded with the GGUF's tokenizer. 1 warm-up + {a.llama_steps} "
            f"measured steps per process, processes interleaved; medians.", "",
            "| batch × time | threads | ours tok/s | PyTorch + PEFT tok/s | ours ÷ PyTorch | ours s/step | PyTorch s/step | "
            "loss, first measured step (ours / PyTorch) |", "|---|---|---|---|---|---|---|---|"]
        self.llama_ratios = {}
        for shape in a.llama_shapes.split(","):
            for t in self.threads:
                sel = lambda sy, key: [r[key] for r in self.llama_rows if r["system"] == sy and r["shape"] == shape and r["threads"] == t]
                o, p = med(sel("ours", "tps")), med(sel("torch", "tps"))
                self.llama_ratios[(shape, t)] = o / p
                lo, lp = sel("ours", "loss"), sel("torch", "loss")
                out.append(f"| {shape.replace('x', ' × ')} | {t} | {fmt(o, 1)} | {fmt(p, 1)} | **{o / p:.2f}x** | "
                           f"{med(sel('ours', 'seconds')):.2f} | {med(sel('torch', 'seconds')):.2f} | "
                           f"{lo[0]:.3f} / {lp[0]:.3f} |")
        tr = {sy: next((r["trainable"] for r in self.llama_rows if r["system"] == sy), 0) for sy in ("ours", "torch")}
        out += ["", f"Trainable parameters: ours {tr['ours']:,}, PEFT {tr['torch']:,}. The losses differ slightly "
                "after the warm-up step's update because the two LoRA initialisations draw different random A "
                "matrices (B starts at zero on both sides).", ""]
        return out

    # ---- the shell benchmarks ----------------------------------------------------------------------------------
    def script(self, name, cmd, env=None):
        log(f"{name}: {' '.join(cmd)}")
        t0 = time.time()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
        with open(self.raw, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n{p.stdout}\n{p.stderr[-4000:]}\n")
        if p.returncode != 0:
            self.failures.append(f"{name} exited {p.returncode}")
        return p.stdout, p.returncode, time.time() - t0

    def tokenizers(self):
        a = self.a
        env = dict(os.environ, REPS=str(a.reps), ENCODE_MB=str(a.encode_mb), TRAIN_MB=str(a.train_mb),
                   OUT=a.tokenizers_dir, TOK_BENCH_VENV=a.venv)
        self.tok_out, self.tok_rc, _ = self.script("tokenizers", [os.path.join(BENCH, "tokenizers.sh")], env)

    def tokenizers_md(self):
        lines = self.tok_out.splitlines()
        keep = [l for l in lines if l.startswith(("encode ids", "trained BPE", "corpus", "tokenizers "))]
        summary = lines[next((i for i, l in enumerate(lines) if l.startswith("== summary")), len(lines)):]
        ratios = [l for l in summary if "x (best)" in l or "x (median)" in l]
        table = [l for l in summary if re.match(r"^(task|bpe_train_s|encode_MB/s)\s", l) and "x (" not in l]
        return ["## Tokenizers (ours vs HF tokenizers)", "",
                f"scripts/bench/tokenizers.sh with REPS={self.a.reps} ENCODE_MB={self.a.encode_mb} "
                f"TRAIN_MB={self.a.train_mb}: WordPiece encode (MiniLM tokenizer.json) of English text built from "
                "the machine's documentation, and byte-level BPE training (vocabulary 8192), 1 and 2 threads, "
                "interleaved; outputs compared for equality." + ("" if self.tok_rc == 0 else
                                                                  f" **The script exited {self.tok_rc}.**"),
                "", "```"] + keep + [""] + table + [""] + ratios + ["```", ""]

    def engine(self):
        self.eng_out, self.eng_rc, _ = self.script(
            "engine", [os.path.join(BENCH, "engine.sh"), "--bin", self.bin, "--size-mib", str(self.a.hash_mib),
                       "--reps", str(max(3, self.a.reps))])
        self.dmn_out, self.dmn_rc, _ = self.script(
            "daemon", [os.path.join(BENCH, "daemon.sh"), "--bin", self.bin, "--reps", str(self.a.daemon_reps),
                       "--idle-seconds", str(self.a.idle_seconds)])

    def engine_md(self):
        return ["## Engine and daemon", "",
                f"scripts/bench/engine.sh --size-mib {self.a.hash_mib}: wall time of a no-op re-run of a 4-stage "
                "pipeline through `finetunectl run` (every stage a cache hit; process start to exit), and the "
                "data-file digest against coreutils' sha256sum on the same file (interleaved)."
                + ("" if self.eng_rc == 0 else f" **The script exited {self.eng_rc}.**"), "", "```"]\
            + self.eng_out.strip().splitlines() + ["```", "",
                f"scripts/bench/daemon.sh --reps {self.a.daemon_reps} --idle-seconds {self.a.idle_seconds}: from a "
                "pipeline file's rename into the watched folder to its run starting (run.json appears), with the "
                "default 300 ms debounce and with none; then the idle daemon's CPU time and RSS."
                + ("" if self.dmn_rc == 0 else f" **The script exited {self.dmn_rc}.**"), "", "```"]\
            + self.dmn_out.strip().splitlines() + ["```", ""]

    # ---- the report --------------------------------------------------------------------------------------------
    def summary_lines(self):
        summary = []
        if hasattr(self, "train_ratios"):
            for (kind, t), r in self.train_ratios.items():
                summary.append(f"- training, {kind}, {t} thread(s): {r:.2f}x PyTorch" + (" + PEFT" if kind == "lora" else ""))
        if hasattr(self, "stage_ratios"):
            for (peft, t), r in self.stage_ratios.items():
                summary.append(f"- multitask stage, {peft}, {t} thread(s): {r:.2f}x PyTorch" + (" + PEFT" if peft == "lora" else ""))
        if hasattr(self, "llama_ratios"):
            for (shape, t), r in self.llama_ratios.items():
                summary.append(f"- SmolLM2 LoRA step, {shape}, {t} thread(s): {r:.2f}x PyTorch + PEFT")
        if hasattr(self, "inf_ratios"):
            for t, (rt, ro) in self.inf_ratios.items():
                summary.append(f"- inference, {t} thread(s): {rt:.2f}x PyTorch, {ro:.2f}x ONNX Runtime")
        for l in getattr(self, "tok_out", "").splitlines():
            if "x (median)" in l and "vs HF 1 thread" not in l:
                summary.append(f"- tokenizers: {l.strip()}")
        return summary

    def merge(self, started):
        """A partial run (--only a subset) into an existing report: its sections replace the ones of the same
        title (or go before ## Reproduce), its summary lines replace those of its sections, its command is added
        to ## Reproduce; everything else is kept as it was."""
        text = open(self.a.out).read()
        blocks = [[]]  # the preamble (title, header table), then one block per "## " section
        for line in text.split("\n"):
            if line.startswith("## "):
                blocks.append([line])
            else:
                blocks[-1].append(line)
        prefixes = {"training": "- training,", "inference": "- inference,", "tokenizers": "- tokenizers:",
                    "stage": "- multitask stage,", "llama": "- SmolLM2 LoRA step,"}
        mine = tuple(prefixes[n] for n in self.ran if n in prefixes)
        new = {sec[0]: sec for sec in self.sections}
        out, placed = [], set()
        for b in blocks:
            head = b[0] if b else ""
            if head.startswith("## Summary"):
                keep = [l for l in b[1:] if l.startswith("- ") and not l.startswith(mine)]
                out.append(["## Summary (ours ÷ reference, medians; each section's figures from one run)", ""]
                           + keep + self.summary_lines() + [""])
            elif not head.startswith("## "):
                out.append([l.replace("every number below comes from that one run.", "every number below comes from "
                                      "that one run, except in the sections whose own header names a later partial run.")
                            for l in b])
            elif head in new:
                out.append(new[head])
                placed.add(head)
            elif head.startswith("## Reproduce"):
                for sec in self.sections:
                    if sec[0] not in placed:
                        out.append(sec)
                        placed.add(sec[0])
                if self.failures:
                    out.append(["## Failures in the partial run `" + self.a.command + "`", ""]
                               + [f"- {f}" for f in self.failures] + [""])
                # Drop an earlier note of a partial run of the same sections, then add this run's.
                note = f"Sections {', '.join(self.ran)} were last measured by a partial run, merged in:"
                body, skip = [], 0
                for l in b[1:]:
                    if l == note:
                        skip = 4  # the note, the blank line, the fence, the command
                    elif skip:
                        skip -= 1
                        if skip == 0 and l != "```":
                            body.append(l)
                    else:
                        body.append(l)
                while body and body[-1] == "":
                    body.pop()
                out.append([head] + body + ["", note, "", "```", self.a.command, "```", ""])
            else:
                out.append(b)
        for sec in self.sections:
            if sec[0] not in placed:
                out.append(sec)
        with open(self.a.out, "w") as f:
            f.write("\n".join(l for b in out for l in b))

    def write(self, started):
        i = self.info
        v = i["versions"] + ["?"] * 5
        out = ["# Performance", "",
               f"Written by `{self.a.command}` — every number below comes from that one run. Each figure that "
               "matters is a ratio of two systems measured side by side in the same run (repetitions "
               "interleaved); no absolute time is a target, and a claim holds for the machine it was measured on. "
               "Re-run the command to measure yours.", "",
               "| | |", "|---|---|",
               f"| date | {i['date']} |", f"| commit | {i['commit']} |",
               f"| CPU | {i['cpu']}, {i['cores']} cores; {i['vector']} |",
               f"| memory | {int(i['mem']) / 1024 / 1024:.1f} GiB |",
               f"| OpenBLAS core | `{i['core_unset']}` with OPENBLAS_CORETYPE unset (what our benchmarks use); "
               f"`{i['core_env']}` with the environment's setting (OPENBLAS_CORETYPE={i['coretype'] or 'unset'}) |",
               f"| load average (1/5/15 min) | before {i['load_before']}; after {load()} |",
               f"| run time | {(time.time() - started) / 60:.1f} min |",
               f"| references | PyTorch {v[0]} (CPU), transformers {v[1]}, PEFT {v[2]}, ONNX Runtime {v[3]}, "
               f"HF tokenizers {v[4]} |", f"| Swift | {i['swift']}; release build |", ""]
        summary = ["## Summary (ours ÷ reference, medians, same run)", ""] + self.summary_lines()
        out += summary + [""]
        if self.failures:
            out += ["## Failures in this run", ""] + [f"- {f}" for f in self.failures] + [""]
        for sec in self.sections:
            out += sec
        out += ["## Reproduce", "", "```", self.a.command, "```", "",
                "Options: `scripts/bench/all --help`. The raw output of every process of this run was kept in "
                f"the run's work folder (`{self.raw}` here), not in the repository.", ""]
        with open(self.a.out, "w") as f:
            f.write("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--assets", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--threads", default="1 2")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--inference-data")
    ap.add_argument("--inference-rows", type=int, default=0)
    ap.add_argument("--inference-reps", type=int, default=1)
    ap.add_argument("--inference-passes", type=int, default=3)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--encode-mb", type=float, default=20)
    ap.add_argument("--train-mb", type=float, default=10)
    ap.add_argument("--hash-mib", type=int, default=256)
    ap.add_argument("--daemon-reps", type=int, default=5)
    ap.add_argument("--idle-seconds", type=int, default=30)
    ap.add_argument("--only", default=",".join(SECTIONS))
    ap.add_argument("--stage-steps", type=int, default=40, help="steps of each multitask-finetune run")
    ap.add_argument("--stage-warmup", type=int, default=2, help="first steps left out of the steady rate (>= 1)")
    ap.add_argument("--llama-steps", type=int, default=2, help="measured steps of each decoder run (after 1 warm-up)")
    ap.add_argument("--llama-shapes", default="1x128,4x128")
    ap.add_argument("--llama-reps", type=int, help="processes per system and thread count (default --reps)")
    ap.add_argument("--tokenizers-dir", default=os.path.join(ROOT, ".build", "bench-tokenizers"),
                    help="tokenizers.sh's folder; its English corpus (slow to build) is reused from there")
    a = ap.parse_args()
    a.inference_data = a.inference_data or os.path.join(a.assets, "data", "spam", "test.jsonl")
    only = [n for n in a.only.split(",") if n]
    unknown = [n for n in only if n not in SECTIONS]
    if unknown:
        sys.exit(f"--only takes a subset of {','.join(SECTIONS)}, not {', '.join(unknown)}")
    if not 1 <= a.stage_warmup < a.stage_steps:
        sys.exit("--stage-warmup must be at least 1 and below --stage-steps")
    b = Bench(a)
    # A run of some sections only merges them into an existing report (Bench.merge); a run of all rewrites it.
    b.partial = set(only) != set(SECTIONS) and os.path.isfile(a.out)
    b.ran = [n for n in SECTIONS if n in only]
    started = time.time()
    b.header()
    log(f"work folder {b.work}; raw log {b.raw}")
    for name in b.ran:
        run, md = getattr(b, name), getattr(b, name + "_md")
        try:
            run()
            b.sections.append(md())
        except Exception as e:  # keep going: the report says what failed
            b.failures.append(f"{name}: {e}")
            log(f"{name} FAILED: {e}")
    b.merge(started) if b.partial else b.write(started)
    log(f"wrote {a.out} ({(time.time() - started) / 60:.1f} min)")
    sys.exit(1 if b.failures else 0)


if __name__ == "__main__":
    main()
