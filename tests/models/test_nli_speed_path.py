"""The NLI judge's fast path: one tokenizer pass, token-budget batches, the overlapped batch producer, the plain-torch
BERT and the torch runner (CPU; the CUDA branches need a GPU). Real-model comparisons are marked slow."""

from __future__ import annotations

import json
import threading
import time
from contextlib import closing
from typing import ClassVar

import numpy as np
import pytest

from verify.models import nli, runtime
from verify.models.nli import (
    NLIJudge,
    batch_limits,
    encode,
    encoded_batches,
    load_tokenizer,
    overlapped,
    pad_multiple,
    padded,
)

from ..conftest import ROOT

MODEL_DIR = ROOT / "models" / "verify-nli-minilm"
WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "red", "big", "small", "runs", "never", "not", "quickly"]


def sentence(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n))


PAIRS = [(sentence(i, 3 + i % 17), sentence(i + 1, 1 + (i * 5) % 11)) for i in range(300)]


@pytest.fixture
def tokenizer():
    return load_tokenizer(str(MODEL_DIR))


def producer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "verify-nli-batches"]


# -- tokenizing and padding --------------------------------------------------------------------------------


def test_tokenizer_truncates_and_never_pads(tokenizer):
    tokenizer.enable_padding()  # whatever state it is handed in, fast_tokenizer restores the contract
    (long,) = encode(nli.fast_tokenizer(tokenizer, 32), [("word " * 100, "other " * 100)])
    assert len(long.ids) == 32
    short = encode(nli.fast_tokenizer(tokenizer, 32), [("a cat", "a dog"), ("a", "b")])
    assert [len(e.ids) for e in short] == [7, 5]  # [CLS] a cat [SEP] a dog [SEP]; no padding to the longest


def test_threaded_encode_matches_one_call(tokenizer):
    pairs = PAIRS * 10  # over the size at which encode splits the work
    assert [e.ids for e in encode(tokenizer, pairs, threads=4)] == [e.ids for e in encode(tokenizer, pairs)]


@pytest.mark.parametrize("pad_to", [1, 16])
def test_padded_arrays(tokenizer, pad_to):
    encodings = encode(tokenizer, PAIRS[:9])
    arrays = padded(encodings, pad_to, pad_id=7)
    lengths = [len(e.ids) for e in encodings]
    width = arrays["input_ids"].shape[1]
    assert width % pad_to == 0 and max(lengths) <= width < max(lengths) + pad_to
    assert arrays["attention_mask"].sum(1).tolist() == lengths
    for row, e in enumerate(encodings):
        assert arrays["input_ids"][row, : len(e.ids)].tolist() == e.ids
        assert arrays["token_type_ids"][row, : len(e.ids)].tolist() == e.type_ids
        assert (arrays["input_ids"][row, len(e.ids):] == 7).all()
        assert (arrays["token_type_ids"][row, len(e.ids):] == 0).all()
    assert {a.dtype for a in arrays.values()} == {np.dtype(np.int64)}


def test_encoded_batches_cover_every_pair_once_within_the_budget(tokenizer, monkeypatch):
    monkeypatch.setattr(nli, "TOKENIZE_CHUNK", 64)  # several chunks
    max_rows, max_tokens = 8, 120
    seen = []
    for index, arrays in encoded_batches(PAIRS, tokenizer, 64, max_rows, max_tokens, pad_to=1):
        rows = len(index)
        longest = int(arrays["attention_mask"].sum(1).max())
        assert rows <= max_rows
        assert rows == 1 or rows * longest <= max_tokens
        assert arrays["input_ids"].shape == (rows, longest)  # pad_to 1: no padding beyond the longest
        for i, row in zip(index, arrays["input_ids"]):
            assert row[row != 0].tolist() == tokenizer.encode(*PAIRS[i]).ids
        seen += index.tolist()
    assert sorted(seen) == list(range(len(PAIRS)))


def test_batch_limits_and_padding_by_device():
    assert batch_limits(32, "cpu", "torch") == (32, 2048)
    assert batch_limits(32, "cpu", "torch-bf16") == (128, 8192)
    assert batch_limits(32, "cpu", "onnx-int8") == (32, 2048)
    assert batch_limits(32, "cuda", "torch") == (nli.GPU_ROWS, nli.GPU_ROWS * 64)
    assert batch_limits(8192, "cuda", "torch")[0] == 8192
    assert pad_multiple("cpu", "torch") == 1
    assert pad_multiple("cpu", "torch-bf16") == pad_multiple("cuda", "torch") == nli.PAD_TO


# -- the overlapped producer ------------------------------------------------------------------------------


def test_overlapped_keeps_order_and_finishes():
    assert list(overlapped(iter(range(100)), depth=3)) == list(range(100))
    assert list(overlapped(iter([]))) == []
    assert not producer_threads()


def test_overlapped_works_ahead_within_its_depth():
    produced = []

    def items():
        for i in range(50):
            produced.append(threading.current_thread().name)
            yield i

    with closing(overlapped(items(), depth=2)) as ready:
        assert next(ready) == 0
        deadline = time.monotonic() + 5
        while len(produced) < 4 and time.monotonic() < deadline:  # 1 taken, 2 queued, 1 waiting to be queued
            time.sleep(0.01)
        time.sleep(0.1)
        assert len(produced) == 4
        assert set(produced) == {"verify-nli-batches"}
    assert not producer_threads()


def test_overlapped_raises_the_producers_error():
    def items():
        yield 1
        yield 2
        raise ValueError("bad batch")

    ready = overlapped(items())
    assert [next(ready), next(ready)] == [1, 2]
    with pytest.raises(ValueError, match="bad batch"):
        next(ready)
    assert not producer_threads()


def test_closing_overlapped_early_stops_the_producer():
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    with closing(overlapped(endless())) as ready:
        assert [next(ready) for _ in range(3)] == [0, 1, 2]
    assert not producer_threads()


# -- the judge's predict loop (a recording runner; no weights) ------------------------------------------------


class EchoRunner:
    """Logits made from each row's token ids, so an answer tells which pair it belongs to; records the calls."""

    id2label: ClassVar[dict[int, str]] = {0: "entailment", 1: "neutral", 2: "contradiction"}

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.shapes: list[tuple[int, int]] = []
        self.threads: set[str] = set()
        self.fail_at: int | None = None

    def prepare(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and len(self.shapes) == self.fail_at:
            raise RuntimeError("prepare failed")
        self.shapes.append(batch["input_ids"].shape)
        return batch

    def launch(self, batch: dict[str, np.ndarray]):
        k = sum(e == "launch" for e, _ in self.events)
        self.events.append(("launch", k))
        mask = batch["attention_mask"]
        ids = batch["input_ids"] * mask
        logits = np.stack([ids.sum(1) % 101 / 25, mask.sum(1) / 10, (ids * np.arange(ids.shape[1])).sum(1) % 37 / 9], 1)

        def wait() -> np.ndarray:
            self.events.append(("wait", k))
            return logits.astype(np.float32)

        return wait


@pytest.fixture
def echo_judge(monkeypatch):
    echo = EchoRunner()
    monkeypatch.setattr(runtime, "make_runner", lambda *args, **kwargs: echo)
    judge = NLIJudge(device="cpu", batch_size=4)  # the shipped model's tokenizer and config; the runner above
    return judge, echo


def test_predict_returns_answers_in_input_order(echo_judge):
    judge, echo = echo_judge
    texts = PAIRS[:150]
    done = []
    together = judge.predict(texts, done.append)
    assert len(echo.shapes) > 5  # several batches, formed in length order, not input order
    alone = [judge.predict([t])[0] for t in texts]
    assert together == alone
    assert len({json.dumps(p, sort_keys=True) for p in together}) > 100  # the answers really tell pairs apart
    assert sum(done) == len(texts)
    assert all(set(p) == {"entailment", "neutral", "contradiction"} for p in together)


def test_predict_reads_each_batch_back_after_launching_the_next(echo_judge):
    judge, echo = echo_judge
    judge.predict(PAIRS[:40])
    n = len(echo.shapes)
    assert n >= 3
    expected = [("launch", 0)]
    for k in range(1, n):
        expected += [("launch", k), ("wait", k - 1)]
    assert echo.events == [*expected, ("wait", n - 1)]
    assert echo.threads == {"verify-nli-batches"}  # batches are prepared off the consumer's thread


def test_predict_respects_the_token_budget(echo_judge):
    judge, echo = echo_judge
    judge.batch_size, judge.max_tokens = 6, 90
    judge.predict(PAIRS)
    assert all(rows <= 6 and (rows == 1 or rows * width <= 90) for rows, width in echo.shapes)
    assert sum(rows for rows, _ in echo.shapes) == len(PAIRS)


def test_predict_on_nothing_runs_nothing(echo_judge):
    judge, echo = echo_judge
    assert judge.predict([]) == []
    assert echo.events == [] and not producer_threads()


def test_a_failing_batch_stops_the_producer(echo_judge):
    judge, echo = echo_judge
    echo.fail_at = 2
    with pytest.raises(RuntimeError, match="prepare failed"):
        judge.predict(PAIRS)
    assert not producer_threads()


def test_predict_batches_scores_batches_as_given(echo_judge):
    judge, _ = echo_judge
    batches = [PAIRS[:3], PAIRS[10:11], [list(p) for p in PAIRS[20:25]]]  # Ray sends lists
    scored = judge.predict_batches(batches)
    assert [len(b) for b in scored] == [3, 1, 5]
    assert scored[0] == judge.predict(PAIRS[:3])


# -- the plain-torch BERT and the torch runner on CPU (a tiny random model) ---------------------------------


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from verify.models import bert

    config = {"model_type": "bert", "architectures": ["BertForSequenceClassification"], "vocab_size": 50,
              "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 32,
              "max_position_embeddings": 64, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
              "pad_token_id": 0, "id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"}}
    torch.manual_seed(0)
    model = bert.BertClassifier(config)  # built uninitialised, as for loading: random weights here
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.3)
    folder = tmp_path_factory.mktemp("tiny-bert")
    (folder / "config.json").write_text(json.dumps(config))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "model.safetensors"))
    return folder, config


def test_bert_support_is_strict(tiny_bert, tmp_path):
    from safetensors.torch import load_file, save_file

    from verify.models import bert

    folder, config = tiny_bert
    assert bert.supports(folder)
    other = tmp_path / "roberta"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    (other / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    assert not bert.supports(other)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "config.json").write_text(json.dumps(config))
    weights = load_file(str(folder / "model.safetensors"))
    save_file({**weights, "lm_head.weight": weights["classifier.weight"].clone()}, str(extra / "model.safetensors"))
    assert not bert.supports(extra)  # a tensor it would not load: transformers handles the model instead


def test_last_layer_on_the_first_token_only_changes_nothing(tiny_bert):
    import torch

    from verify.models import bert

    folder, _ = tiny_bert
    model = bert.load(folder)
    ids = torch.randint(1, 50, (5, 11))
    types = torch.zeros_like(ids)
    mask = torch.ones_like(ids)
    mask[2:, 7:] = 0
    with torch.inference_mode():
        shortcut = model(ids, types, mask)
        x = model.bert.embeddings(ids, types)
        for layer in model.bert.encoder.layer:
            x = layer(x, mask.bool()[:, None, None, :])
        full = model.classifier(torch.tanh(model.bert.pooler.dense(x[:, 0])))
    torch.testing.assert_close(shortcut, full, rtol=0, atol=1e-5)


def test_torch_runner_on_cpu(tiny_bert):
    folder, _ = tiny_bert
    runner = runtime.TorchRunner(str(folder), "cpu", bf16=False)
    assert not runner.cuda and runner.id2label == {"0": "entailment", "1": "neutral", "2": "contradiction"}
    rng = np.random.default_rng(0)
    short = {"input_ids": rng.integers(1, 50, (3, 6)), "token_type_ids": np.zeros((3, 6), np.int64),
             "attention_mask": np.ones((3, 6), np.int64)}
    assert "attention_mask" not in runner.prepare(short)  # no row padded: no mask, the faster attention path
    alone = runner.launch(runner.prepare(short))()
    assert alone.dtype == np.float32 and alone.shape == (3, 3)
    # the same rows padded to 14 tokens next to a longer one: the same logits, so padding is masked out
    wide = {k: np.zeros((4, 14), np.int64) for k in short}
    for k, rows in short.items():
        wide[k][:3, :6] = rows
    wide["input_ids"][3] = rng.integers(1, 50, 14)
    wide["attention_mask"][3] = 1
    prepared = runner.prepare(wide)
    assert "attention_mask" in prepared
    np.testing.assert_allclose(runner.launch(prepared)()[:3], alone, rtol=0, atol=1e-5)


def test_cuda_attention_leaves_out_cudnn_only_while_running():
    import torch

    runner = runtime.TorchRunner.__new__(runtime.TorchRunner)  # the flags only: no GPU needed
    runner.cuda = True
    before = torch.backends.cuda.cudnn_sdp_enabled()
    with runner._attention():
        assert not torch.backends.cuda.cudnn_sdp_enabled()  # a new plan per batch shape: slow first passes
        assert torch.backends.cuda.flash_sdp_enabled() and torch.backends.cuda.mem_efficient_sdp_enabled()
    assert torch.backends.cuda.cudnn_sdp_enabled() == before  # the caller's setting comes back


def test_compile_flag_wraps_the_model(tiny_bert, monkeypatch):
    import torch

    calls = []
    monkeypatch.setattr(torch, "compile", lambda fn, **kwargs: calls.append(kwargs) or fn)
    folder, _ = tiny_bert
    runtime.TorchRunner(str(folder), "cpu", bf16=False, compile="reduce-overhead")
    runtime.TorchRunner(str(folder), "cpu", bf16=False, compile="default")
    runtime.TorchRunner(str(folder), "cpu", bf16=False)
    assert calls == [{"mode": "reduce-overhead", "dynamic": True}, {"mode": None, "dynamic": True}]


# -- the shipped model against transformers (slow) --------------------------------------------------------


def snli_pairs(n: int) -> list[tuple[str, str]]:
    data = ROOT.parent / "shared" / "data" / "nli" / "snli_validation.jsonl"
    if not data.exists():
        pytest.skip(f"{data} is not here")
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()[:n]]
    return [(r["premise"], r["hypothesis"]) for r in rows]


@pytest.mark.slow
def test_tokenizer_matches_transformers():
    from transformers import AutoTokenizer

    pairs = snli_pairs(500) + [(p * 30, h * 8) for p, h in PAIRS[:20]] + [("", "x"), ("Ünïcödé “quotes” 東京", "😀")]
    reference = AutoTokenizer.from_pretrained(MODEL_DIR, local_files_only=True)(
        [p for p, _ in pairs], [h for _, h in pairs], truncation=True, max_length=nli.MAX_LENGTH)
    ours = encode(load_tokenizer(str(MODEL_DIR)), pairs)
    assert [e.ids for e in ours] == reference["input_ids"]
    assert [e.type_ids for e in ours] == reference["token_type_ids"]
    # a transformers tokenizer handed in (verify.pipeline.engine_ray plans with one) tokenizes the same
    handed = encode(nli.fast_tokenizer(AutoTokenizer.from_pretrained(MODEL_DIR, local_files_only=True), nli.MAX_LENGTH), pairs)
    assert [e.ids for e in handed] == reference["input_ids"]


@pytest.mark.slow
def test_plain_bert_matches_transformers_and_the_judge_agrees():
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from verify.models import bert

    pairs = snli_pairs(300)
    enc = AutoTokenizer.from_pretrained(MODEL_DIR, local_files_only=True)(
        [p for p, _ in pairs], [h for _, h in pairs], padding=True, return_tensors="pt")
    reference = AutoModelForSequenceClassification.from_pretrained(MODEL_DIR, local_files_only=True, dtype=torch.float32).eval()
    with torch.inference_mode():
        expected = reference(**enc).logits
        got = bert.load(MODEL_DIR)(enc["input_ids"], enc["token_type_ids"], enc["attention_mask"])
    torch.testing.assert_close(got.softmax(-1), expected.softmax(-1), rtol=0, atol=1e-5)
    judge = NLIJudge(device="cpu", backend="torch")
    probs = nli._softmax(expected.numpy(), judge.temperature)
    names = judge.labels
    for row, answer in zip(probs, judge.predict(pairs)):
        for name, j in names.items():  # 4 decimals: a value within 1e-5 of a rounding boundary may round apart
            assert abs(answer[name] - row[j]) <= 5e-5 + 1e-5


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_choosing_the_cpu_does_not_import_torch(device, monkeypatch):
    """`--device cpu` (and auto where no GPU device file exists) must not pay torch's import: the ONNX backends
    never need it, and it is most of the start-up."""
    import subprocess
    import sys

    code = ("import sys; import verify.models.runtime as e; e._gpu_devices = lambda: False; "
            f"assert e.pick_device({device!r}) == 'cpu'; assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("pooler", [True, False])
def test_plain_bert_encoder_matches_transformers_bert_model(tmp_path, pooler):
    """BertEncoder gives transformers' BertModel last hidden states on every unpadded token, loads with or
    without a stored pooler, and refuses a folder with a tensor it would not load."""
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import BertConfig, BertModel

    from verify.models import bert

    torch.manual_seed(1)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=32,
                        max_position_embeddings=64)
    reference = BertModel(config, add_pooling_layer=pooler).eval()
    folder = tmp_path / "encoder"
    reference.save_pretrained(folder, safe_serialization=True)
    assert bert.encoder_supports(folder) and not bert.supports(folder)
    ids = torch.randint(1, 50, (3, 9))
    types = torch.randint(0, 2, (3, 9))
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    with torch.inference_mode():
        expected = reference(input_ids=ids, token_type_ids=types, attention_mask=mask).last_hidden_state
        got = bert.load_encoder(folder)(ids, types, mask)
    kept = mask.bool()
    torch.testing.assert_close(got[kept], expected[kept], rtol=0, atol=1e-5)
    weights = load_file(str(folder / "model.safetensors"))
    save_file({**weights, "lm_head.weight": weights["embeddings.word_embeddings.weight"].clone()},
              str(folder / "model.safetensors"))
    assert not bert.encoder_supports(folder)  # transformers runs it instead
