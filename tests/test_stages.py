"""Embed, pair, NLI, store, registry, config and model resolution, with tiny fakes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verify.config import load_settings
from verify.models.embed import HashEmbedder
from verify.errors import ConfigError, ModelNotFound, VerifyError
from verify.models.resolve import load_registry, resolve
from verify.models.nli import KeywordNLI, label_index
from verify.pairing import Pairer, shared_keys
from verify.registry import Registry
from verify.pipeline.store import MIGRATIONS, Store
from verify.records import Claim, ClaimPair


def claim(cid: str, text: str, article: str, **kw) -> Claim:
    return Claim(cid, article, article.upper(), text, text, (0, len(text)), **kw)


# ---- embed / pair -------------------------------------------------------------------------------
def test_hash_embedder_is_deterministic_and_normalised():
    emb = HashEmbedder()
    v = emb.embed(["Kim visited the tower", "Kim visited the tower", "bananas are yellow"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1)
    assert v[0] @ v[1] == pytest.approx(1)
    assert v[0] @ v[2] < 0.3
    assert emb.embed([]).shape == (0, 256)


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


# ---- NLI ----------------------------------------------------------------------------------------
def test_label_index_maps_by_name_not_position():
    assert label_index({0: "CONTRADICTION", 1: "entailment", 2: "Neutral"}) == {"contradiction": 0, "entailment": 1, "neutral": 2}
    with pytest.raises(ModelNotFound, match="NLI model"):
        label_index({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})


def test_keyword_nli_judges_both_directions():
    a = claim("1", "The Soviet Union declared war on Japan", "a")
    b = claim("2", "The Soviet Union did not declare war on Japan", "b")
    (j,) = KeywordNLI().judge([ClaimPair(a, b, 0.9)])
    assert j.forward["contradiction"] > 0.5 and j.backward["contradiction"] > 0.5
    assert KeywordNLI().judge([]) == []


@pytest.fixture(scope="module")
def tiny_nli(tmp_path_factory):
    """A 2-layer BERT whose classifier bias makes 'entailment' win; label order is scrambled."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from verify.models.resolve import load_registry, local_path

    tok_dir = local_path(load_registry()["all-MiniLM-L6-v2"])
    path = tmp_path_factory.mktemp("tiny-nli")
    cfg = BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                     num_labels=3, id2label={0: "contradiction", 1: "entailment", 2: "neutral"},
                     label2id={"contradiction": 0, "entailment": 1, "neutral": 2})
    torch.manual_seed(0)
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 8.0, 0.0]))
    model.save_pretrained(path, safe_serialization=True)
    AutoTokenizer.from_pretrained(tok_dir).save_pretrained(path)
    return path


def test_nli_judge_loads_a_local_folder_and_uses_id2label(tiny_nli):
    from verify.models.nli import NLIJudge

    judge = NLIJudge(str(tiny_nli), device="cpu", batch_size=2)
    a, b = claim("1", "Kim met Putin in June.", "a"), claim("2", "Putin met Kim.", "b")
    (j,) = judge.judge([ClaimPair(a, b, 0.9)])
    assert j.forward["entailment"] > 0.99 and j.backward["entailment"] > 0.99
    assert judge.judge([]) == []
    probs = judge.predict([("a", "b"), ("a much longer premise than the other one", "b"), ("c", "d")])
    assert len(probs) == 3 and all(abs(sum(p.values()) - 1) < 1e-3 for p in probs)


# ---- models / registry / config / store ------------------------------------------------------------
def test_registry_has_default_models():
    reg = load_registry()
    assert reg["verify-nli-minilm"].kind == "nli"
    assert reg["verify-nli-minilm"].labels == ("entailment", "neutral", "contradiction")
    assert reg["all-MiniLM-L6-v2"].kind == "embed"
    assert all(e.licence for e in reg.values())


def test_resolve_errors_name_the_fix(tmp_path):
    with pytest.raises(ModelNotFound, match="did you mean 'verify-nli-minilm'"):
        resolve("verify-nli-minlm", "nli")
    with pytest.raises(ModelNotFound, match="--allow-download"):
        resolve("someone/not-cached-model", "nli")
    with pytest.raises(ModelNotFound, match="no config.json"):
        resolve(str(tmp_path), "nli")
    with pytest.raises(ModelNotFound, match="not an nli model"):
        resolve("all-MiniLM-L6-v2", "nli")


def test_resolve_embedder_from_package():
    r = resolve("all-MiniLM-L6-v2", "embed")
    assert r.origin == "package" and (r.path.endswith("model"))


def test_generic_registry_lazy_and_suggestions():
    reg: Registry[object] = Registry("thing")
    reg.register("json-dumps", "json:dumps")
    assert reg.get("json-dumps") is json.dumps
    with pytest.raises(ValueError):
        reg.register("json-dumps", "json:loads")
    with pytest.raises(VerifyError, match="did you mean 'json-dumps'"):
        reg.get("json-dump")


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
    from verify.models.resolve import Resolved
    from verify.models.nli import CachedJudge

    class Counting(KeywordNLI):
        def __init__(self):
            super().__init__()
            self.resolved = Resolved("k", "/models/k", "rev1", "path")
            self.seen = 0

        def predict(self, texts, on_batch=None):
            self.seen += len(texts)
            return super().predict(texts, on_batch)

    inner = Counting()
    judge = CachedJudge(inner, Store(tmp_path / "c.sqlite"))
    a, b, c = claim("1", "Kim met Putin", "a"), claim("2", "Kim did not meet Putin", "b"), claim("3", "Xi met Kim", "c")
    first = judge.judge([ClaimPair(a, b, 0.9)])
    assert inner.seen == 2
    again = CachedJudge(inner, Store(tmp_path / "c.sqlite")).judge([ClaimPair(a, b, 0.9), ClaimPair(a, c, 0.5)])
    assert inner.seen == 4  # only the new pair's two directions were scored
    assert again[0].forward == first[0].forward and again[0].backward == first[0].backward
    assert Store(tmp_path / "c.sqlite").migrations() == [name for name, _ in MIGRATIONS]
