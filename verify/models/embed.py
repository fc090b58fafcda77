"""Claim -> vector: batched sentence-transformers embeddings (an Embedder, see verify.models.contracts); the
pipeline caches them (pipeline/caches.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verify.models.contracts import OnBatch
from verify.models.resolve import resolve


def pick_device(device: str) -> str:
    """auto -> cuda when available, else cpu; an explicit cuda without a GPU is an error."""
    from verify.errors import ConfigError

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


def plain_pooling(model_dir: str) -> str | None:
    """"mean" or "cls" when the folder is a plain sentence-transformers model (Transformer -> Pooling
    [-> Normalize], no prompts, no lower-casing) that transformers alone runs the same way; else None."""
    folder = Path(model_dir)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        bert = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        st_config = folder / "config_sentence_transformers.json"
        prompts = json.loads(st_config.read_text(encoding="utf-8")).get("prompts") if st_config.exists() else None
    except (OSError, ValueError, KeyError, IndexError):
        return None
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]) or prompts or bert.get("do_lower_case"):
        return None
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
    return {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(modes[0]) if len(modes) == 1 else None


class SentenceEmbedder:
    """A sentence-transformers model (alias, HF id or path): unit vectors, batched. A plain model
    (see plain_pooling) runs on transformers directly - the same vectors, without importing
    sentence-transformers (seconds saved on every run that embeds a new text); others run on
    sentence-transformers."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", *, device: str = "auto", batch_size: int = 32,
                 allow_download: bool = False, **_: object) -> None:
        self.resolved = resolve(model, "embed", allow_download=allow_download)
        self.name = model
        self.device = pick_device(device)
        self.batch_size = batch_size if self.device == "cpu" else max(batch_size, 256)
        self.pooling = plain_pooling(self.resolved.path)
        self.fast: Any = None  # a tokenizers.Tokenizer when the plain-torch BERT runs the model
        if self.pooling:
            import torch

            from verify.models import bert as plain_bert

            folder = Path(self.resolved.path)
            config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
            self.max_length = int(config.get("max_seq_length") or 512)
            self.dim = int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["hidden_size"])
            if (folder / "tokenizer.json").is_file() and plain_bert.encoder_supports(folder):
                # the same network in plain torch (verify.models.bert): transformers' import and from_pretrained
                # cost about 4.5 s of every run that embeds a new text
                from tokenizers import Tokenizer

                self.fast = Tokenizer.from_file(str(folder / "tokenizer.json"))
                self.fast.no_padding()
                self.fast.enable_truncation(self.max_length)
                self.pad_id = int(json.loads((folder / "config.json").read_text(encoding="utf-8")).get("pad_token_id") or 0)
                self.model: Any = plain_bert.load_encoder(folder).to(self.device)
            else:
                from transformers import AutoModel, AutoTokenizer

                self.tokenizer = AutoTokenizer.from_pretrained(self.resolved.path, local_files_only=True)
                self.model = AutoModel.from_pretrained(self.resolved.path, local_files_only=True, use_safetensors=True,
                                                       dtype=torch.float32).to(self.device).eval()
        else:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(self.resolved.path, device=self.device, local_files_only=True)
            self.dim = self.model.get_embedding_dimension() or 0

    def embed(self, texts: Sequence[str], on_batch: OnBatch | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.batch_size * (1 if self.pooling else 8)
        for start in range(0, len(order), step):
            idx = order[start : start + step]
            out[idx] = self._encode([texts[i] for i in idx])
            if on_batch:
                on_batch(len(idx))
        return out

    def _tokenize(self, batch: list[str]) -> dict[str, Any]:
        """input_ids, token_type_ids and attention_mask, padded on the right to the longest row, as transformers'
        ``tokenizer(batch, padding=True, truncation=True, max_length=...)`` gives them."""
        import torch

        encodings = self.fast.encode_batch(batch)
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            types[row, : len(e.ids)] = e.type_ids
            mask[row, : len(e.ids)] = 1
        return {k: torch.from_numpy(v).to(self.device) for k, v in
                (("input_ids", ids), ("token_type_ids", types), ("attention_mask", mask))}

    def _encode(self, batch: list[str]) -> np.ndarray:
        if not self.pooling:
            return self.model.encode(batch, batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True).astype(np.float32)
        import torch

        if self.fast is not None:
            enc = self._tokenize(batch)
            with torch.inference_mode():
                hidden = self.model(**enc).float()
        else:
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt").to(self.device)
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state.float()
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
