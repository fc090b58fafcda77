"""Pairing, settings, the store and the score cache, with the fakes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from verify.config import load_settings
from verify.errors import ConfigError
from verify.models.fakes import CountingJudge, HashEmbedder
from verify.models.nli import judge_pairs
from verify.models.resolve import Resolved
from verify.pairing import Pairer, shared_keys
from verify.pipeline.caches import CachedJudge
from verify.pipeline.store import MIGRATIONS, Store
from verify.records import Claim, ClaimPair


def claim(cid: str, text: str, article: str, **kw) -> Claim:
    return Claim(cid, article, article.upper(), text, text, (0, len(text)), **kw)


# ---- pair ----------------------------------------------------------------------------------------
def test_pairer_only_crosses_sources_unless_asked():
    claims = [
        claim("1", "Kim visited the Liberation Tower on Thursday", "a"),
        claim("2", "Kim visited the Liberation Tower on Wednesday", "a"),
        claim("3", "Kim visited the Liberation Tower in Pyongyang", "b"),
        claim("4", "Bananas grow in warm places", "b"),
    ]
    vecs = HashEmbedder().embed([c.text for c in claims])
    pairs = Pairer(top_k=2, min_similarity=0.5).pair(claims, vecs)
    ids = {(p.a.id, p.b.id) for p in pairs}
    assert ids == {("1", "3"), ("2", "3")}
    within = Pairer(top_k=3, min_similarity=0.5, within_source=True).pair(claims, vecs)
    assert ("1", "2") in {(p.a.id, p.b.id) for p in within}
    assert Pairer().pair([], np.zeros((0, 4))) == []
    with pytest.raises(ValueError):
        Pairer().pair(claims, vecs[:2])


def test_shared_keys_ignore_coarse_types_and_generic_entities():
    """Pairing blocks on specific entities by type (a country says little), less the packs' generic names."""
    a = claim("1", "x", "a", entities=("North Korea", "Liberation Tower", "Kim"), entity_types=("GPE", "FAC", "PERSON"),
              dates=("1947",))
    b = claim("2", "y", "b", entities=("North Korea", "Liberation Tower", "Kim"), entity_types=("GPE", "FAC", "PERSON"),
              dates=("1947",))
    assert shared_keys(a, b) == ("Kim", "Liberation Tower", "1947")
    assert shared_keys(a, b, frozenset({"Kim"})) == ("Liberation Tower", "1947")


def test_pairer_adds_low_similarity_pairs_that_share_a_value():
    a = claim("1", "The monument was built in 1947 by workers", "a", dates=("1947",))
    b = claim("2", "Construction finished in 1947 for the monument", "b", dates=("1947",))
    vecs = np.array([[1.0, 0.0], [0.4, np.sqrt(1 - 0.16)]], dtype=np.float32)  # cosine 0.4
    assert Pairer(min_similarity=0.5, shared_min_similarity=0.35).pair([a, b], vecs)[0].shared == ("1947",)
    assert Pairer(min_similarity=0.5, shared_min_similarity=0.45).pair([a, b], vecs) == []


# ---- models / registry / config / store ------------------------------------------------------------
def test_settings_precedence(tmp_path, monkeypatch):
    toml = tmp_path / "verify.toml"
    toml.write_text('top_k = 7\nbatch_size = 8\n')
    monkeypatch.setenv("VERIFY_CONFIG", str(toml))
    monkeypatch.setenv("VERIFY_BATCH_SIZE", "16")
    s = load_settings(top_k=None)
    assert (s.top_k, s.batch_size) == (7, 16)
    assert load_settings(batch_size=4).batch_size == 4
    with pytest.raises(ConfigError, match="top_k"):
        load_settings(top_k=0)
    toml.write_text("colour = 'red'\n")
    with pytest.raises(ConfigError):
        load_settings()


def test_store_caches_vectors_and_records_migrations(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.put_vectors("m", [("h1", np.array([1, 2], dtype=np.float32))])
    assert store.get_vectors("m", ["h1", "h2"])["h1"].tolist() == [1.0, 2.0]
    assert store.migrations()[:2] == ["001_embeddings", "002_nli_scores"]
    store.close()
    again = Store(tmp_path / "s.sqlite")
    assert list(again.get_vectors("m", ["h1"])) == ["h1"]


def test_cached_judge_scores_each_pair_once(tmp_path):
    inner = CountingJudge(resolved=Resolved("k", "/models/k", "rev1", "path"))
    judge = CachedJudge(inner, Store(tmp_path / "c.sqlite"))
    a, b, c = claim("1", "Kim met Putin", "a"), claim("2", "Kim did not meet Putin", "b"), claim("3", "Xi met Kim", "c")
    first = judge_pairs(judge.predict, [ClaimPair(a, b, 0.9)])
    assert len(inner.seen) == 2
    again = judge_pairs(CachedJudge(inner, Store(tmp_path / "c.sqlite")).predict, [ClaimPair(a, b, 0.9), ClaimPair(a, c, 0.5)])
    assert len(inner.seen) == 4  # only the new pair's two directions were scored
    assert again[0].forward == first[0].forward and again[0].backward == first[0].backward
    assert Store(tmp_path / "c.sqlite").migrations() == [name for name, _ in MIGRATIONS]


@pytest.mark.parametrize("model, hidden", [(None, True), ("en_core_web_trf", False)])
def test_spacy_is_imported_without_torch_for_the_pinned_pipelines(model, hidden):
    """thinc imports torch when it can; the pinned CNN pipelines never use it, so the local engine hides it while
    spaCy is imported - and torch imports as usual afterwards. Another pipeline may need torch: left alone."""
    code = textwrap.dedent(f"""
        import sys
        from verify.pipeline.engine_local import import_spacy
        import_spacy({model!r})
        import spacy
        print("torch" in sys.modules)
        from verify.nlp import NLP
        assert NLP().analyse(["The bridge opened in 2019."])[0][0].has_predicate
        import torch
        print(torch.zeros(1).shape == (1,))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == [str(not hidden), "True"]
