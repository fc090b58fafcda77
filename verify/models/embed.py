"""Claim -> vector: batched sentence-transformers embeddings (an Embedder, see verify.models.contracts); the
pipeline caches them (pipeline/caches.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verify.models.contracts import OnBatch
from verify.models.resolve import resolve
from verify.models.runtime import pick_device


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
            st_config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            self.max_length = int(st_config.get("max_seq_length") or 512)
            self.dim, self.pad_id = int(config["hidden_size"]), int(config.get("pad_token_id") or 0)
            if plain_bert.encoder_supports(folder):
                # the same network in plain torch (verify.models.bert), tokenized as the NLI judge tokenizes
                # (tokenizer.json, no transformers import): transformers' import and from_pretrained cost about
                # 4.5 s of every run that embeds a new text
                from verify.models.nli import load_tokenizer

                self.fast = load_tokenizer(str(folder), self.max_length)
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

        from verify.models.nli import padded

        arrays = padded(self.fast.encode_batch(batch), pad_to=1, pad_id=self.pad_id)
        return {k: torch.from_numpy(v).to(self.device) for k, v in arrays.items()}

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
