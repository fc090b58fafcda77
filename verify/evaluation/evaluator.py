"""Score an NLI judge on labelled pairs: `NLIEvaluator` -> `EvalResult` (metrics, confusion, calibration).

`NLIEvaluator` is built from a benchmark's examples (or any pairs and labels) and called with a judge (anything
with ``predict(pairs, on_batch) -> [{label: prob}]``); it returns a flat dict of metrics, or with `evaluate` the
full `EvalResult` with every prediction. Claim-evidence sets are also scored through the pipeline's verdict
logic. `evaluate_file` scores a judge on any labelled file without a benchmark YAML.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verify.errors import InputError, VerifyError
from verify.evaluation.benchmarks import (
    DEFAULT_LABEL_MAP,
    THREE_CLASS,
    TWO_CLASS,
    Benchmark,
    Example,
    Format,
    file_source,
    guess_format,
    load_examples,
    read_source,
    subsample,
    to_examples,
)
from verify.evaluation.metrics import (
    CalibrationBin,
    accuracy,
    classification_metrics,
    confusion,
    macro_f1,
    reliability_bins,
)

PRIMARY_METRIC = "accuracy"


def decide(probs: Mapping[str, float], two_class: bool) -> tuple[str, float, dict[str, float]]:
    """(label, confidence, probabilities used). Two-class: p(not_entailment) = p(neutral) + p(contradiction)."""
    if two_class:
        used = {"entailment": probs["entailment"], "not_entailment": probs["neutral"] + probs["contradiction"]}
    else:
        used = {label: probs[label] for label in THREE_CLASS}
    label = max(used, key=lambda k: used[k])  # ties go to the first in canonical order
    return label, used[label], used


@dataclass(frozen=True, slots=True)
class Prediction:
    example: Example
    pred: str
    probs: dict[str, float]  # the judge's three-way probabilities


@dataclass(frozen=True)
class EvalResult:
    name: str
    metrics: dict[str, float]
    labels: tuple[str, ...]  # gold classes (rows of the confusion matrix)
    outputs: tuple[str, ...]  # predicted classes (its columns)
    confusion: dict[str, dict[str, int]]
    predictions: tuple[Prediction, ...]
    skipped: dict[str, int] = field(default_factory=dict)
    available: int = 0
    primary_metric: str = PRIMARY_METRIC
    calibration: tuple[CalibrationBin, ...] = ()  # reliability-diagram bins of the top probability


class NLIEvaluator:
    """Accuracy, macro-F1, per-class P/R/F1 and calibration (ECE) of an NLI judge on labelled pairs.

    Gold labels use our names (entailment / neutral / contradiction, or entailment / not_entailment
    with ``two_class``). Call it with a judge: ``NLIEvaluator(pairs, labels)(judge) -> {metric: value}``.
    """

    primary_metric = PRIMARY_METRIC

    def __init__(self, pairs: Sequence[tuple[str, str]], labels: Sequence[str], *, name: str = "",
                 two_class: bool = False, rows: Sequence[int] | None = None, classes: Sequence[str] | None = None,
                 skipped: Mapping[str, int] | None = None, available: int | None = None,
                 verdicts: bool = False) -> None:
        """``classes``: the gold classes to report (default: those among ``labels``). ``verdicts``: also score
        the pipeline's verdict logic (premise = evidence, hypothesis = claim), as for claim-evidence sets."""
        if len(pairs) != len(labels):
            raise ValueError(f"{name or 'evaluator'}: {len(pairs)} pairs but {len(labels)} labels")
        if rows is not None and len(rows) != len(pairs):
            raise ValueError(f"{name or 'evaluator'}: {len(pairs)} pairs but {len(rows)} row numbers")
        allowed = TWO_CLASS if two_class else THREE_CLASS
        unknown = sorted(set(labels) - set(allowed))
        if unknown:
            raise ValueError(f"{name or 'evaluator'}: labels {unknown} are not among {list(allowed)}")
        row_numbers = list(rows) if rows is not None else list(range(len(pairs)))
        self.examples = [Example(p, h, g, r) for (p, h), g, r in zip(pairs, labels, row_numbers)]
        self.name = name
        self.two_class = two_class
        self.outputs = allowed
        wanted = set(classes if classes is not None else labels)
        self.labels = tuple(label for label in allowed if label in wanted)
        self.skipped = dict(skipped or {})
        self.available = len(pairs) if available is None else available
        self.verdicts = verdicts

    @classmethod
    def from_benchmark(cls, benchmark: Benchmark, data_dir: Path, limit: int | None = None) -> NLIEvaluator:
        """Load a benchmark's rows (MissingDataError when its files are absent)."""
        loaded = load_examples(benchmark, data_dir, limit)
        return cls.from_examples(loaded.examples, name=benchmark.name, two_class=benchmark.two_class,
                                 classes=benchmark.labels, skipped=loaded.skipped, available=loaded.available,
                                 verdicts=(benchmark.task == "claim-evidence" or benchmark.verdicts)
                                 and not benchmark.two_class)

    @classmethod
    def from_examples(cls, examples: Sequence[Example], **kwargs: Any) -> NLIEvaluator:
        return cls([(e.premise, e.hypothesis) for e in examples], [e.gold for e in examples],
                   rows=[e.row for e in examples], **kwargs)

    def __len__(self) -> int:
        return len(self.examples)

    def __call__(self, judge: Any, on_batch: Callable[[int], None] | None = None) -> dict[str, float | str]:
        """The flat metrics dict, plus "primary_metric"."""
        return {**self.evaluate(judge, on_batch).metrics, "primary_metric": self.primary_metric}

    def evaluate(self, judge: Any, on_batch: Callable[[int], None] | None = None) -> EvalResult:
        """Run the judge once over every pair (timed) and score its answers."""
        texts = [(e.premise, e.hypothesis) for e in self.examples]
        start = time.perf_counter()
        probs = judge.predict(texts, on_batch) if texts else []
        elapsed = time.perf_counter() - start
        _check_probs(probs, len(texts), self.name)
        decided = [decide(p, self.two_class) for p in probs]
        gold = [e.gold for e in self.examples]
        pred = [label for label, _, _ in decided]
        confidences = [conf for _, conf, _ in decided]
        metrics = classification_metrics(gold, pred, confidences, self.labels)
        bins = reliability_bins(confidences, [g == p for g, p in zip(gold, pred)])
        metrics = {k: round(v, 4) for k, v in metrics.items()}
        if texts and set(self.labels) < set(self.outputs):
            # a set without some of our labels (FEVER has no neutral): also score the argmax over its labels only
            restricted = [max(self.labels, key=lambda k: used[k]) for _, _, used in decided]
            metrics["accuracy_gold_labels"] = round(accuracy(gold, restricted), 4)
        if texts and self.verdicts:
            metrics |= self._verdict_metrics(judge, probs, gold)
        metrics["n"] = float(len(texts))
        metrics["pairs_per_s"] = round(len(texts) / elapsed, 1) if texts and elapsed > 0 else 0.0
        predictions = tuple(Prediction(e, label, dict(p)) for e, label, p in zip(self.examples, pred, probs))
        return EvalResult(self.name, metrics, self.labels, self.outputs, confusion(gold, pred, self.outputs),
                          predictions, self.skipped, self.available, calibration=tuple(b.rounded() for b in bins))

    def _verdict_metrics(self, judge: Any, forward: Sequence[Mapping[str, float]], gold: Sequence[str]) -> dict[str, float]:
        """Accuracy and macro-F1 of the pipeline's verdicts (NLI both ways + value/entity/time checks)."""
        from verify.extract.claims import claim_from_text
        from verify.records import ClaimPair, Judgement
        from verify.verdict.aggregate import Aggregator

        backward = judge.predict([(e.hypothesis, e.premise) for e in self.examples])
        aggregator = Aggregator()
        predicted = []
        for example, fwd, bwd in zip(self.examples, forward, backward):
            pair = ClaimPair(claim_from_text(example.premise, article_id="a:evidence", source="evidence"),
                             claim_from_text(example.hypothesis, article_id="a:claim", source="claim"), 1.0)
            verdict = aggregator.decide(Judgement(pair, dict(fwd), dict(bwd))).verdict
            predicted.append(VERDICT_TO_LABEL[verdict])
        return {"verdict_accuracy": round(accuracy(gold, predicted), 4),
                "verdict_macro_f1": round(macro_f1(gold, predicted, self.labels), 4)}


# the pipeline's verdicts as NLI labels, for scoring claim-evidence sets through the verdict logic
VERDICT_TO_LABEL = {"support": "entailment", "contradict": "contradiction", "disputed": "contradiction",
                    "different-time": "neutral", "neutral": "neutral"}


def _check_probs(probs: Sequence[Mapping[str, float]], n: int, name: str) -> None:
    if len(probs) != n:
        raise VerifyError(f"{name}: the judge returned {len(probs)} answers for {n} pairs")
    for p in probs[:1]:
        missing = [label for label in THREE_CLASS if label not in p]
        if missing:
            raise VerifyError(f"{name}: the judge's answers lack {missing}; "
                              "it must return entailment/neutral/contradiction")


def file_evaluator(path: str | Path, *, premise_field: str = "premise", hypothesis_field: str = "hypothesis",
                   label_field: str = "label", label_map: Mapping[str, str] | None = None, limit: int | None = None,
                   fmt: Format | None = None) -> NLIEvaluator:
    """An evaluator over any jsonl/tsv/csv file (or 'x.zip:member'); two-class when gold says not_entailment."""
    spec = str(path)
    source = file_source(spec)
    fmt = fmt or guess_format(spec)
    records = read_source(source, fmt)
    name = Path(source.member or source.path).stem
    examples, skipped = to_examples(records, premise_field=premise_field, hypothesis_field=hypothesis_field,
                                    label_field=label_field, label_map=label_map or DEFAULT_LABEL_MAP, name=spec)
    golds = {e.gold for e in examples}
    two_class = "not_entailment" in golds
    if two_class and golds & {"neutral", "contradiction"}:
        raise InputError(f"{spec}: labels mix not_entailment with neutral/contradiction; map them to one scheme")
    available = len(examples)
    return NLIEvaluator.from_examples(subsample(examples, limit), name=name, two_class=two_class,
                                      skipped=skipped, available=available)


def evaluate_file(path: str | Path, judge: Any, *, premise_field: str = "premise", hypothesis_field: str = "hypothesis",
                  label_field: str = "label", label_map: Mapping[str, str] | None = None, limit: int | None = None,
                  fmt: Format | None = None, on_batch: Callable[[int], None] | None = None) -> EvalResult:
    """Score `judge` on a labelled file without a benchmark YAML."""
    evaluator = file_evaluator(path, premise_field=premise_field, hypothesis_field=hypothesis_field,
                               label_field=label_field, label_map=label_map, limit=limit, fmt=fmt)
    return evaluator.evaluate(judge, on_batch)
