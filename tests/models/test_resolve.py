"""Model names through the registry (resolve), the generic name registries, and the NLI judge's labels."""

from __future__ import annotations

import json

import pytest

from verify.errors import ModelNotFound, VerifyError
from verify.models.nli import judge_pairs, label_index
from verify.models.resolve import load_registry, resolve
from verify.records import Claim, ClaimPair
from verify.registry import Registry


def claim(cid: str, text: str, article: str) -> Claim:
    return Claim(cid, article, article.upper(), text, text, (0, len(text)))


def test_label_index_maps_by_name_not_position():
    assert label_index({0: "CONTRADICTION", 1: "entailment", 2: "Neutral"}) == {"contradiction": 0, "entailment": 1, "neutral": 2}
    with pytest.raises(ModelNotFound, match="NLI model"):
        label_index({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})


@pytest.fixture(scope="module")
def tiny_nli(tmp_path_factory):
    """A 2-layer BERT whose classifier bias makes 'entailment' win; label order is scrambled."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from verify.models.resolve import local_path

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
    from verify.models.contracts import Judge
    from verify.models.nli import NLIJudge

    judge = NLIJudge(str(tiny_nli), device="cpu", batch_size=2)
    assert isinstance(judge, Judge)
    a, b = claim("1", "Kim met Putin in June.", "a"), claim("2", "Putin met Kim.", "b")
    (j,) = judge_pairs(judge.predict, [ClaimPair(a, b, 0.9)])
    assert j.forward["entailment"] > 0.99 and j.backward["entailment"] > 0.99
    assert judge_pairs(judge.predict, []) == []
    probs = judge.predict([("a", "b"), ("a much longer premise than the other one", "b"), ("c", "d")])
    assert len(probs) == 3 and all(abs(sum(p.values()) - 1) < 1e-3 for p in probs)


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
