"""The model contracts (Embedder, Judge): every model, fake and wrapper satisfies them, the fakes behave, and the
model layer takes plain arguments (it never imports the pipeline, the store or the settings)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from verify.models.contracts import Embedder, Judge
from verify.models.fakes import CountingEmbedder, CountingJudge, HashEmbedder, KeywordNLI
from verify.models.nli import judge_pairs
from verify.pipeline.caches import CachedEmbedder, CachedJudge, LazyEmbedder, LazyJudge
from verify.pipeline.store import Store
from verify.records import Claim, ClaimPair
from verify.registry import EMBEDDERS, NLI_JUDGES

MODELS = Path(__file__).resolve().parents[2] / "verify" / "models"


def claim(cid: str, text: str, article: str) -> Claim:
    return Claim(cid, article, article.upper(), text, text, (0, len(text)))


def test_models_fakes_and_wrappers_satisfy_the_contracts(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    embedders = [HashEmbedder(), CountingEmbedder(), EMBEDDERS.get("hash")(), LazyEmbedder(HashEmbedder, "hash", None),
                 CachedEmbedder(HashEmbedder(), store)]
    judges = [KeywordNLI(), CountingJudge(), NLI_JUDGES.get("keyword")(), CachedJudge(KeywordNLI(), store),
              LazyJudge(KeywordNLI, "keyword", KeywordNLI().resolved, KeywordNLI.backend)]
    assert all(isinstance(e, Embedder) for e in embedders)
    assert all(isinstance(j, Judge) for j in judges)
    assert not isinstance(HashEmbedder(), Judge) and not isinstance(KeywordNLI(), Embedder)


def test_hash_embedder_is_deterministic_and_normalised():
    emb = HashEmbedder()
    v = emb.embed(["Kim visited the tower", "Kim visited the tower", "bananas are yellow"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1)
    assert v[0] @ v[1] == pytest.approx(1)
    assert v[0] @ v[2] < 0.3
    assert emb.embed([]).shape == (0, 256)


def test_keyword_nli_judges_both_directions():
    a = claim("1", "The Soviet Union declared war on Japan", "a")
    b = claim("2", "The Soviet Union did not declare war on Japan", "b")
    (j,) = judge_pairs(KeywordNLI().predict, [ClaimPair(a, b, 0.9)])
    assert j.forward["contradiction"] > 0.5 and j.backward["contradiction"] > 0.5
    assert judge_pairs(KeywordNLI().predict, []) == []


def test_a_lazy_embedder_loads_on_first_use_only():
    loads: list[str] = []

    def load() -> HashEmbedder:
        loads.append("embed")
        return HashEmbedder()

    lazy = LazyEmbedder(load, "hash", None)
    assert (lazy.name, lazy.resolved, loads) == ("hash", None, [])
    lazy.embed(["a text"])
    lazy.embed(["another"])
    assert loads == ["embed"]


def test_the_model_layer_takes_plain_arguments():
    """verify/models imports neither the pipeline (store, caches) nor the settings, the CLI or the evaluation."""
    banned = ("verify.pipeline", "verify.config", "verify.cli", "verify.evaluation")
    found = []
    for path in sorted(MODELS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert found == []
