"""Reference values for the Metrics target, from scikit-learn, scipy and seqeval.

Run through generate.sh (which pins the versions). Every case is drawn from a seeded numpy generator, so the
fixture is reproducible; the Swift tests recompute each value and compare within 1e-9.

Expected calibration error has no scikit-learn/scipy implementation: it is computed here in numpy with the
binning documented in Sources/Metrics/Calibration.swift (15 equal-width bins on the max probability, bin i =
(i/15, (i+1)/15], edges i/15), the common practice of Guo et al. 2017 — an independent second implementation.
"""
import argparse
import json
import warnings

import numpy as np
import scipy
import scipy.stats
import seqeval
import seqeval.metrics
import sklearn
from seqeval.metrics.sequence_labeling import get_entities
from sklearn import metrics as skm

warnings.filterwarnings("ignore")  # zero-division and constant-input warnings are part of what is tested


def ece(gold, probs, bins=15):
    conf = probs.max(axis=1)
    pred = probs.argmax(axis=1)  # first index among ties, as the Swift code
    correct = (pred == gold).astype(float)
    edges = np.arange(bins + 1) / bins
    total = 0.0
    for i in range(bins):
        lo, hi = edges[i], edges[i + 1]
        mask = (conf > lo) & (conf <= hi) if i > 0 else (conf >= lo) & (conf <= hi)
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(total)


def classification_case(rng, name, k, n, class_probs=None, skill=2.0, drop_class=None, round_to=None):
    class_probs = np.full(k, 1 / k) if class_probs is None else np.asarray(class_probs)
    gold = rng.choice(k, size=n, p=class_probs)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), gold] += skill
    if drop_class is not None:  # a class the model never predicts
        logits[:, drop_class] = -1e9
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    if round_to is not None:  # coarse probabilities: ties in the arg-max and confidences on bin edges
        probs = np.round(probs * round_to) / round_to
        probs[:, -1] = 1 - probs[:, :-1].sum(axis=1)
        probs = np.clip(probs, 0, 1)
    pred = probs.argmax(axis=1)
    labels = list(range(k))
    p, r, f, s = skm.precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return {
        "name": name,
        "classCount": k,
        "gold": gold.tolist(),
        "predicted": pred.tolist(),
        "probabilities": probs.tolist(),
        "accuracy": skm.accuracy_score(gold, pred),
        "microF1": skm.f1_score(gold, pred, average="micro", zero_division=0),
        "macroF1": skm.f1_score(gold, pred, average="macro", zero_division=0),
        "macroPrecision": skm.precision_score(gold, pred, average="macro", zero_division=0),
        "macroRecall": skm.recall_score(gold, pred, average="macro", zero_division=0),
        "weightedF1": skm.f1_score(gold, pred, average="weighted", zero_division=0),
        "mcc": skm.matthews_corrcoef(gold, pred),
        "precision": p.tolist(),
        "recall": r.tolist(),
        "f1": f.tolist(),
        "support": s.tolist(),
        "confusion": skm.confusion_matrix(gold, pred, labels=labels).tolist(),
        "ece": ece(gold, probs),
    }


def regression_case(rng, name, gold, pred):
    gold, pred = np.asarray(gold, dtype=float), np.asarray(pred, dtype=float)
    return {
        "name": name,
        "gold": gold.tolist(),
        "predicted": pred.tolist(),
        "pearson": float(scipy.stats.pearsonr(gold, pred).statistic),
        "spearman": float(scipy.stats.spearmanr(gold, pred).statistic),
        "goldRanks": scipy.stats.rankdata(gold, method="average").tolist(),
        "mae": skm.mean_absolute_error(gold, pred),
        "mse": skm.mean_squared_error(gold, pred),
    }


TYPES = ["PER", "LOC", "ORG", "MISC-X"]


def random_tags(rng, length, ill_formed):
    tags, prev = [], None
    for _ in range(length):
        u = rng.random()
        if u < 0.45:
            tags.append("O")
            prev = None
        elif prev is not None and u < 0.75:
            tags.append("I-" + prev)
        else:
            t = TYPES[rng.integers(len(TYPES))]
            # ill-formed: an entity opened by I- (conlleval counts it), or a type switch inside I-
            tags.append(("I-" if ill_formed and rng.random() < 0.3 else "B-") + t)
            prev = t
    return tags


def perturb(rng, tags):
    out = list(tags)
    for i in range(len(out)):
        u = rng.random()
        if u < 0.08:
            out[i] = "O"
        elif u < 0.14:
            out[i] = "B-" + TYPES[rng.integers(len(TYPES))]
        elif u < 0.18 and out[i] != "O":
            out[i] = "I-" + out[i][2:]
    return out


def tagging_case(rng, name, sentences, ill_formed):
    gold = [random_tags(rng, int(rng.integers(1, 25)), ill_formed) for _ in range(sentences)]
    pred = [perturb(rng, s) for s in gold]
    report = seqeval.metrics.classification_report(gold, pred, output_dict=True, zero_division=0)
    per_type = {t: {"precision": v["precision"], "recall": v["recall"], "f1": v["f1-score"], "support": int(v["support"])}
                for t, v in report.items() if t not in ("micro avg", "macro avg", "weighted avg")}
    return {
        "name": name,
        "gold": gold,
        "predicted": pred,
        "goldEntities": [[[t, s, e] for t, s, e in get_entities(g)] for g in gold],
        "precision": seqeval.metrics.precision_score(gold, pred, zero_division=0),
        "recall": seqeval.metrics.recall_score(gold, pred, zero_division=0),
        "f1": seqeval.metrics.f1_score(gold, pred, zero_division=0),
        "macroF1": seqeval.metrics.f1_score(gold, pred, average="macro", zero_division=0),
        "perType": per_type,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(20261202)
    classification = [
        classification_case(rng, "balanced-3-classes", 3, 60),
        classification_case(rng, "balanced-5-classes-weak", 5, 200, skill=0.8),
        classification_case(rng, "balanced-7-classes-strong", 7, 300, skill=3.0),
        classification_case(rng, "binary", 2, 120, skill=1.2),
        classification_case(rng, "imbalanced-4-classes", 4, 400, class_probs=[0.85, 0.1, 0.04, 0.01]),
        classification_case(rng, "imbalanced-spam-like", 2, 500, class_probs=[0.87, 0.13], skill=2.5),
        classification_case(rng, "never-predicted-class", 4, 150, drop_class=2),
        classification_case(rng, "absent-class", 5, 80, class_probs=[0.3, 0.3, 0.4, 0.0, 0.0], drop_class=4),
        classification_case(rng, "coarse-probabilities", 3, 200, skill=1.0, round_to=10),
    ]
    x = rng.normal(size=150)
    regression = [
        regression_case(rng, "normal-correlated", x, 0.7 * x + rng.normal(scale=0.6, size=150)),
        regression_case(rng, "ties-both", np.round(rng.normal(size=80)), np.round(rng.normal(size=80) * 2) / 2),
        regression_case(rng, "sts-like-0-to-5", np.round(rng.uniform(0, 5, size=120) * 5) / 5,
                        np.clip(rng.uniform(0, 5, size=120) + rng.normal(size=120), 0, 5)),
        regression_case(rng, "anti-correlated-heavy-tail", x[:60], -np.exp(x[:60]) + rng.standard_t(2, size=60)),
        regression_case(rng, "two-rows", [1.0, 2.0], [3.5, -1.0]),
    ]
    tagging = [
        tagging_case(rng, "iob2-well-formed", 40, ill_formed=False),
        tagging_case(rng, "iob2-with-ill-formed-openings", 60, ill_formed=True),
    ]
    quantiles = []
    for n in (1, 2, 7, 1000):
        v = np.sort(rng.normal(size=n))
        quantiles.append({"sorted": v.tolist(), "q": [0.0, 0.025, 0.5, 0.975, 1.0],
                          "expected": [float(np.quantile(v, q)) for q in (0.0, 0.025, 0.5, 0.975, 1.0)]})
    out = {
        "_generated": (f"Generated by scripts/golden/metrics/generate.py (scikit-learn {sklearn.__version__}, "
                       f"scipy {scipy.__version__}, seqeval {seqeval.__version__ if hasattr(seqeval, '__version__') else '1.2.2'}, "
                       f"numpy {np.__version__}); do not edit, rerun scripts/golden/metrics/generate.sh."),
        "classification": classification,
        "regression": regression,
        "tagging": tagging,
        "quantiles": quantiles,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
