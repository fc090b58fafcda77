"""Inference backends for sequence-classification models: how logits are computed, not what they mean.

``torch``       full precision (fp32 on CPU; bf16 autocast on CUDA)
``torch-bf16``  weights cast to bfloat16: fast on CPUs with AMX / AVX512-BF16 and on GPUs
``onnx``        ONNX Runtime, fp32 graph exported from the same weights
``onnx-int8``   ONNX Runtime with dynamic int8 quantization (per-channel weights)
``auto``        the fastest measured backend for the device (see ``pick_backend``)

A backend is a ``Runner``: it prepares batches (in the thread that forms them) and launches the model on them.
The torch backends build plain BERT classifiers with verify.models.bert (no transformers import) and any other
architecture with transformers. Logits are turned into probabilities by verify.models.nli, divided first by the
temperature in the model folder's ``calibration.json`` (``load_temperature``; 1.0 when there is none);
``model_revision`` names weights and T.

ONNX graphs are exported once and cached beside the model (``<model>/onnx/``), or in the cache
folder when the model folder is read-only; a ``source.json`` ties each graph to the weights it came from.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import os
import shutil
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from verify.errors import ConfigError

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8")
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_VERSION = 1  # bump when the export or quantization recipe changes

def cpu_has_bf16() -> bool:
    """True on CPUs with native bfloat16 matmuls (AMX or AVX512-BF16), where bf16 beats int8 here."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def onnx_exportable(model_dir: str) -> bool:
    """Whether ``_export`` handles this model (its transformer fusions are BERT's) and onnxruntime is installed."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return config.get("model_type") == "bert" and importlib.util.find_spec("onnxruntime") is not None


def pick_device(device: str) -> str:
    """auto -> cuda when available, else cpu; an explicit cuda without a GPU is an error."""
    if device == "cpu" or (device == "auto" and not _gpu_devices()):
        return "cpu"  # no GPU to look for: skip importing torch (1.5-3 s; the ONNX backends never need it)
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda asked for, but torch sees no CUDA GPU; use --device cpu or auto")
    return device


def _gpu_devices() -> bool:
    """Whether this machine could have a CUDA (or ROCm) GPU at all."""
    import glob

    return bool(glob.glob("/dev/nvidia*") or os.path.exists("/dev/kfd")) or os.name != "posix"


def pick_backend(backend: str, device: str, model_dir: str | None = None) -> str:
    """Resolve ``auto``; refuse combinations that cannot work, with a way out.

    ``auto``: torch on CUDA; torch-bf16 on CPUs with native bf16; else, for a BERT-family model (``model_dir``),
    ONNX Runtime in fp32 - torch's answers, about 10% faster on 2 AMD cores, and ``verify eval nli`` starts without
    importing torch (evaluations/results/nli-speed-cpu/) - and torch for other models. onnx-int8 is faster still but
    loses up to 0.85 points on two NLI sets: opt in."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "auto":
        if device == "cuda":
            return "torch"  # bf16 autocast with large batches
        if cpu_has_bf16():
            return "torch-bf16"
        return "onnx" if model_dir is not None and onnx_exportable(model_dir) else "torch"
    if backend.startswith("onnx"):
        if device == "cuda":
            raise ConfigError(f"--backend {backend} runs on CPU only; use --backend torch on CUDA")
        if not onnxruntime_available():
            raise ConfigError(f"--backend {backend} needs onnxruntime: pip install onnxruntime onnx")
    return backend


class Runner(Protocol):
    """Computes a model's logits in two steps, so that forming batches and computing them can overlap:
    ``prepare`` turns a batch of numpy int64 arrays into the backend's inputs (verify.models.nli calls it in the
    thread that forms batches), and ``launch`` starts the computation and returns a function that waits for the
    logits (float32 [rows, labels]), so that the next batch can be launched before the last one is read back."""

    id2label: dict[Any, str]

    def prepare(self, batch: dict[str, np.ndarray]) -> Any: ...

    def launch(self, prepared: Any) -> Callable[[], np.ndarray]: ...


class TorchRunner:
    """A torch model (verify.models.bert when it supports the model, else transformers) on CPU or CUDA.

    On CUDA, prepared batches sit in pinned memory and are copied to the card without blocking, fp32 weights run
    under bf16 autocast, and logits come back through a pinned buffer and an event. ``compile`` ("default",
    "reduce-overhead" for CUDA graphs, "max-autotune"...) wraps the model in ``torch.compile`` with dynamic shapes."""

    def __init__(self, model_dir: str, device: str, bf16: bool, compile: str | None = None) -> None:
        import torch

        self._torch = torch
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        model, forward, self.id2label, self.inputs = torch_model(model_dir, torch.bfloat16 if bf16 else torch.float32)
        model.to(self.device)
        self.autocast = self.cuda and not bf16
        self.forward = forward if compile is None else torch.compile(
            forward, mode=None if compile == "default" else compile, dynamic=True)

    def prepare(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        """Host tensors the model takes (pinned on CUDA); the attention mask is left out when no row is padded."""
        feed = {k: self._torch.from_numpy(v) for k, v in batch.items()
                if k in self.inputs and not (k == "attention_mask" and v.all())}
        return {k: v.pin_memory() for k, v in feed.items()} if self.cuda else feed

    def _attention(self) -> Any:
        """On CUDA, attention kernels other than cuDNN's: cuDNN builds a plan for every new batch shape, and
        length-varying batches are all new shapes on a first pass (H200, 50k SNLI pairs: first call 13.8k pairs/s
        with cuDNN attention, 38.6k without; later calls 38-43k either way; evaluations/gpu/first_pass.py)."""
        if not self.cuda:
            return nullcontext()
        from torch.nn.attention import SDPBackend, sdpa_kernel

        return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])

    def launch(self, prepared: dict[str, Any]) -> Callable[[], np.ndarray]:
        torch = self._torch
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast), \
                self._attention():
            logits = self.forward(**{k: v.to(self.device, non_blocking=True) for k, v in prepared.items()}).float()
        if not self.cuda:
            result = logits.cpu().numpy()
            return lambda: result
        host = torch.empty(logits.shape, dtype=torch.float32, pin_memory=True)
        host.copy_(logits, non_blocking=True)
        done = torch.cuda.Event()
        done.record()

        def wait() -> np.ndarray:
            done.synchronize()
            return host.numpy()

        return wait


def torch_model(model_dir: str, dtype: Any) -> tuple[Any, Callable[..., Any], dict[Any, str], frozenset[str]]:
    """(module, forward(**inputs) -> logits, id2label, the inputs it takes), on the CPU in eval mode: the plain-torch
    BERT when it supports the model (no transformers import, see verify.models.bert), else transformers."""
    from verify.models import bert

    if bert.supports(model_dir):
        model = bert.load(model_dir, dtype)
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
        return model, model, config.get("id2label", {}), frozenset(ONNX_INPUTS)
    import inspect

    from transformers import AutoModelForSequenceClassification

    hf = AutoModelForSequenceClassification.from_pretrained(
        model_dir, local_files_only=True, use_safetensors=True, trust_remote_code=False, dtype=dtype
    ).eval()

    def forward(**inputs: Any) -> Any:
        return hf(**inputs).logits

    return hf, forward, hf.config.id2label, frozenset(inspect.signature(hf.forward).parameters) & set(ONNX_INPUTS)


class OnnxRunner:
    """ONNX Runtime on the CPU: every input the graph names, int64; computed in ``launch``."""

    def __init__(self, model_dir: str, quantize: bool, cache_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        path = onnx_graph(model_dir, quantize, cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _cpu_threads()
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.id2label = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8")).get("id2label", {})

    def prepare(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: batch[k].astype(np.int64, copy=False) for k in self.inputs}

    def launch(self, prepared: dict[str, np.ndarray]) -> Callable[[], np.ndarray]:
        result = self.session.run(None, prepared)[0].astype(np.float32)
        return lambda: result


def _cpu_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def weights_digest(model_dir: str) -> str:
    """A short digest of the model's weights and config: an exported graph is valid only for these."""
    h = hashlib.blake2b(digest_size=8)
    for name in ("config.json", "model.safetensors"):
        file = Path(model_dir) / name
        if file.exists():
            h.update(name.encode())
            h.update(str(file.stat().st_size).encode())
            with file.open("rb") as f:  # the head and tail are enough to tell two weight files apart
                h.update(f.read(1 << 20))
                f.seek(max(0, file.stat().st_size - (1 << 20)))
                h.update(f.read())
    return h.hexdigest()


CALIBRATION_FILE = "calibration.json"  # {"temperature": T, "weights": weights_digest, ...} beside the weights


def load_temperature(model_dir: str) -> float:
    """The softmax temperature fitted for these weights (``calibration.json``, written by
    models/train_nli.py), or 1.0 when there is none. A file fitted for other weights (its ``weights``
    digest differs) is ignored with a warning: a stale temperature would mis-state every probability."""
    path = Path(model_dir) / CALIBRATION_FILE
    if not path.exists():
        return 1.0
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        temperature = float(info["temperature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: no usable temperature ({type(exc).__name__}: {exc})") from None
    if not (math.isfinite(temperature) and temperature > 0):
        raise ConfigError(f"{path}: temperature must be a positive number, not {temperature!r}")
    if info.get("weights") not in (None, weights_digest(model_dir)):
        log.warning("%s was fitted for other weights; probabilities are left uncalibrated (T=1)", path)
        return 1.0
    return temperature


def model_revision(model_dir: str, revision: str, temperature: float) -> str:
    """A revision that changes with the weights and the temperature (cache keys, reports): the pinned or
    "local" revision, the weights' digest, and T when it is not 1."""
    return f"{revision}+{weights_digest(model_dir)}" + ("" if temperature == 1.0 else f"+T{temperature:.4f}")


def onnx_graph(model_dir: str, quantize: bool, cache_dir: Path) -> Path:
    """The cached ONNX graph for these weights, exported (and quantized) on first use."""
    digest = weights_digest(model_dir)
    name = "model-int8.onnx" if quantize else "model.onnx"
    for folder in (Path(model_dir) / "onnx", cache_dir / "onnx" / digest):
        meta = folder / "source.json"
        if (folder / name).exists() and meta.exists():
            info = json.loads(meta.read_text())
            if info.get("weights") == digest and info.get("export_version") == EXPORT_VERSION:
                return folder / name
    folder = Path(model_dir) / "onnx"
    if not _writable(folder):
        folder = cache_dir / "onnx" / digest
    # a pause of seconds (15 s on 2 cores) that the user should not take for a hang: said at warning level
    log.warning("preparing %s for ONNX Runtime in %s (once per model version)", model_dir, folder)
    _export(model_dir, folder, digest)
    return folder / name


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def _export(model_dir: str, folder: Path, digest: str) -> None:
    """fp32 export with eager attention (fusable), transformer fusions, then per-channel dynamic int8."""
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f".export-{os.getpid()}"  # this process's own files: two first runs may export at once
    work.mkdir(exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, local_files_only=True, use_safetensors=True, dtype=torch.float32, attn_implementation="eager"
    ).eval()
    enc = tokenizer(["a short premise", "b"], ["a hypothesis", "c d e"], padding=True, return_tensors="pt")
    names = [n for n in ONNX_INPUTS if n in enc]
    raw, fused, int8 = work / "raw.onnx", work / "model.onnx", work / "model-int8.onnx"
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # onnxruntime's quantizer logs advice on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, tuple(enc[n] for n in names), str(raw), input_names=names, output_names=["logits"],
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in names} | {"logits": {0: "batch"}},
                opset_version=17, dynamo=False,
            )
            cfg = model.config
            opt = optimizer.optimize_model(str(raw), model_type="bert", num_heads=cfg.num_attention_heads,
                                           hidden_size=cfg.hidden_size)
            opt.save_model_to_file(str(fused))
            quantize_dynamic(str(fused), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": 1})
        (work / "source.json").write_text(json.dumps({"weights": digest, "export_version": EXPORT_VERSION,
                                                      "torch": torch.__version__, "opset": 17}, indent=1))
        for name in ("model.onnx", "model-int8.onnx", "source.json"):  # source.json last: it vouches for the graphs
            (work / name).replace(folder / name)  # atomic: a half-written graph is never picked up
    finally:
        root.setLevel(level)
        shutil.rmtree(work, ignore_errors=True)


def make_runner(backend: str, model_dir: str, device: str, cache_dir: Path, compile: str | None = None) -> Runner:
    """The Runner for a resolved backend; ``compile`` applies to the torch backends (see TorchRunner)."""
    if backend in ("torch", "torch-bf16"):
        return TorchRunner(model_dir, device, bf16=backend == "torch-bf16", compile=compile)
    if backend in ("onnx", "onnx-int8"):
        return OnnxRunner(model_dir, quantize=backend == "onnx-int8", cache_dir=cache_dir)
    raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
