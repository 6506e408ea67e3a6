"""HF `tokenizers` side of scripts/bench/tokenizers.sh. Thread count comes from RAYON_NUM_THREADS.

  tokenizers_hf.py encode TOKENIZER.json CORPUS [IDS_OUT]   -> prints "seconds bytes tokens"
  tokenizers_hf.py train CORPUS VOCAB_SIZE [OUT.json]       -> prints "seconds"
"""
import sys
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers


def encode(tok_path, corpus, ids_out=None):
    tok = Tokenizer.from_file(tok_path)
    tok.no_padding()
    tok.no_truncation()
    with open(corpus, encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l]
    nbytes = sum(len(l.encode("utf-8")) for l in lines)
    t0 = time.perf_counter()
    encs = tok.encode_batch(lines)
    t1 = time.perf_counter()
    ntok = sum(len(e.ids) for e in encs)
    if ids_out:
        with open(ids_out, "w") as f:
            for e in encs:
                f.write(" ".join(map(str, e.ids)) + "\n")
    print(f"{t1 - t0:.6f} {nbytes} {ntok}")


def train(corpus, vocab_size, out=None):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    t0 = time.perf_counter()
    tok.train([corpus], trainer)
    t1 = time.perf_counter()
    if out:
        tok.save(out)
    print(f"{t1 - t0:.6f}")


if __name__ == "__main__":
    if sys.argv[1] == "encode":
        encode(*sys.argv[2:])
    elif sys.argv[1] == "train":
        train(sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
    else:
        sys.exit("usage: tokenizers_hf.py encode|train ...")
