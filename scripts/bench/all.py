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
        summary = ["## Summary (ours ÷ reference, medians, same run)", ""]
        if hasattr(self, "train_ratios"):
            for (kind, t), r in self.train_ratios.items():
                summary.append(f"- training, {kind}, {t} thread(s): {r:.2f}x PyTorch" + (" + PEFT" if kind == "lora" else ""))
        if hasattr(self, "inf_ratios"):
            for t, (rt, ro) in self.inf_ratios.items():
                summary.append(f"- inference, {t} thread(s): {rt:.2f}x PyTorch, {ro:.2f}x ONNX Runtime")
        for l in getattr(self, "tok_out", "").splitlines():
            if "x (median)" in l and "vs HF 1 thread" not in l:
                summary.append(f"- tokenizers: {l.strip()}")
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
    ap.add_argument("--only", default="training,inference,tokenizers,engine")
    ap.add_argument("--tokenizers-dir", default=os.path.join(ROOT, ".build", "bench-tokenizers"),
                    help="tokenizers.sh's folder; its English corpus (slow to build) is reused from there")
    a = ap.parse_args()
    a.inference_data = a.inference_data or os.path.join(a.assets, "data", "spam", "test.jsonl")
    b = Bench(a)
    started = time.time()
    b.header()
    log(f"work folder {b.work}; raw log {b.raw}")
    only = set(a.only.split(","))
    for name, run, md in [("training", b.training, b.training_md), ("inference", b.inference, b.inference_md),
                          ("tokenizers", b.tokenizers, b.tokenizers_md), ("engine", b.engine, b.engine_md)]:
        if name not in only:
            continue
        try:
            run()
            b.sections.append(md())
        except Exception as e:  # keep going: the report says what failed
            b.failures.append(f"{name}: {e}")
            log(f"{name} FAILED: {e}")
    b.write(started)
    log(f"wrote {a.out} ({(time.time() - started) / 60:.1f} min)")
    sys.exit(1 if b.failures else 0)


if __name__ == "__main__":
    main()
