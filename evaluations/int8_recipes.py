"""Dynamic int8 recipes for the shipped NLI model against its fp32 ONNX graph: argmax agreement, probability drift
and pairs/s on development pairs (never the evaluation suite's sets).

    .venv/bin/python evaluations/int8_recipes.py [--data ../shared/data] [--per-set 1000]

Pairs: ``--per-set`` each from SNLI train (snli_train_subsets), LingNLI train (baseline rounds), TE-NP base train and
FNC-1 train (a related headline against a random sentence of its body). Each recipe is ``quantize_dynamic`` of the
fused fp32 graph (``models/verify-nli-minilm/onnx/model.onnx``, made by any first ``--backend onnx`` run) with some
nodes left in fp32, run through ``NLIJudge`` (same batches as ``--backend onnx``). Speeds are one pass each: compare
them only within one run."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LAYERS = range(6)


def dev_pairs(data: Path, n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)

    def sample(rows: list) -> list:
        rng.shuffle(rows)
        return rows[:n]

    def lines(path: Path) -> list[str]:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)

    def table(path: Path, **options: object) -> list[dict[str, str]]:
        return list(csv.DictReader(lines(path), **options))  # type: ignore[arg-type]

    snli = [json.loads(line) for line in lines(data / "nli/snli_train_subsets/snli_train_union.jsonl")]
    ling = [json.loads(line) for f in sorted((data / "nli/lingnli").glob("train_round*_baseline.jsonl")) for line in lines(f)]
    te = table(data / "nli/te_new_protocols/base_train.tsv", delimiter="\t", quoting=csv.QUOTE_NONE)
    bodies = {r["Body ID"]: r["articleBody"] for r in table(data / "news/fnc1/train_bodies.csv")}
    stances = [r for r in table(data / "news/fnc1/train_stances.csv") if r["Stance"] != "unrelated"]
    pairs = [(r["premise"], r["hypothesis"]) for r in sample(snli)]
    pairs += [(r["premise"], r["hypothesis"]) for r in sample(ling)]
    pairs += [(r["sentence1"], r["sentence2"].strip()) for r in sample(te)]
    for r in sample(stances):
        sentences = [s.strip() for s in bodies[r["Body ID"]].replace("\n", " ").split(". ") if len(s.split()) > 5]
        pairs.append((rng.choice(sentences)[:400], r["Headline"]))
    return pairs


def recipes() -> dict[str, dict]:
    def layer(i: int) -> list[str]:
        return [f"/bert/encoder/layer.{i}/{x}/dense/MatMul" for x in ("attention/output", "intermediate", "output")] + [f"Attention_{i}"]

    heads = ["/bert/pooler/dense/Gemm", "/classifier/Gemm"]
    attention = [f"Attention_{i}" for i in LAYERS]
    return {
        "shipped (onnx-int8)": {},
        "7-bit weights": {"reduce_range": True},
        "feed-forward output fp32": {"nodes_to_exclude": [f"/bert/encoder/layer.{i}/output/dense/MatMul" for i in LAYERS]},
        "attention fp32": {"nodes_to_exclude": attention},
        "last layer and heads fp32": {"nodes_to_exclude": layer(5) + heads},
        "heads fp32": {"nodes_to_exclude": heads},
        "feed-forward only int8": {"nodes_to_exclude": attention + heads + [
            f"/bert/encoder/layer.{i}/attention/output/dense/MatMul" for i in LAYERS]},
        "first layer and heads fp32": {"nodes_to_exclude": layer(0) + heads},
        "per-tensor scales": {"per_channel": False},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--per-set", type=int, default=1000)
    args = parser.parse_args()
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from verify.models.nli import NLIJudge

    pairs = dev_pairs(args.data, args.per_set)
    judge = NLIJudge(device="cpu", backend="onnx")  # exports the fp32 graph when there is none yet
    fused = Path(judge.resolved.path) / "onnx" / "model.onnx"

    def scores(graph: Path) -> tuple[np.ndarray, float]:
        options = ort.SessionOptions()
        options.intra_op_num_threads = judge.runner.session.get_session_options().intra_op_num_threads
        judge.runner.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        judge.predict(pairs[:64])
        start = time.perf_counter()
        probs = judge.predict(pairs)
        rate = len(pairs) / (time.perf_counter() - start)
        return np.array([[p["entailment"], p["neutral"], p["contradiction"]] for p in probs]), rate

    base, rate = scores(fused)
    print(f"fp32: {rate:.0f} pairs/s ({len(pairs)} pairs)")
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's advice goes to the root logger
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, options) in enumerate(recipes().items()):
            graph = Path(tmp) / f"{n}.onnx"
            quantize_dynamic(str(fused), str(graph), weight_type=QuantType.QInt8,
                             extra_options={"DefaultTensorType": 1}, **{"per_channel": True, **options})
            probs, rate = scores(graph)
            agree = probs.argmax(1) == base.argmax(1)
            per_set = "/".join(f"{100 * agree[i:i + args.per_set].mean():.1f}" for i in range(0, len(pairs), args.per_set))
            print(f"{name}: {rate:.0f} pairs/s, argmax as fp32 {100 * agree.mean():.2f}% (SNLI/LingNLI/TE-NP/FNC-1 "
                  f"{per_set}), mean |dp| {np.abs(probs - base).mean():.4f}, max {np.abs(probs - base).max():.3f}")


if __name__ == "__main__":
    main()
