"""A BERT sequence classifier in plain torch: the shipped NLI model's forward pass without importing transformers.

Importing transformers and running its ``from_pretrained`` costs more than a second of every process that
loads a model; this module builds the same network from ``config.json`` and loads ``model.safetensors`` straight
into it. The parameter names are Hugging Face's, so the weights load strictly (a missing or unexpected tensor is
an error, never a silent random init), and the arithmetic is theirs op for op: embeddings summed in their order,
scaled-dot-product attention, post-LayerNorm residuals, exact (erf) GELU, a tanh pooler over the first token. The
one shortcut: the last layer computes the first token only, the one the pooler reads (a sixth less work for six
layers; the same probabilities to float rounding, ~1e-7).
Only what ``supports`` accepts is built here; any other model goes through transformers (verify.models.runtime).
``BertEncoder`` is the same network without the classifier, for plain sentence-transformers embedders
(verify.models.embed): every token's last hidden state, for the embedder's own pooling.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

WEIGHTS = "model.safetensors"


def supports(model_dir: str | Path) -> bool:
    """True for a plain BertForSequenceClassification in safetensors whose tensors are exactly the ones built here."""
    config, stored = _plain(model_dir, "BertForSequenceClassification")
    return config is not None and stored == set(parameter_names(config))


def encoder_supports(model_dir: str | Path) -> bool:
    """True for a plain BertModel in safetensors (with or without its pooler) whose tensors are exactly BertEncoder's."""
    config, stored = _plain(model_dir, "BertModel")
    if config is None:
        return False
    with torch.device("meta"):
        return stored == set(BertEncoder(config, pooler="pooler.dense.weight" in stored).state_dict())


def _plain(model_dir: str | Path, architecture: str) -> tuple[dict[str, Any] | None, set[str]]:
    """(config, stored tensor names) when the folder holds a plain post-LayerNorm BERT of that architecture in
    safetensors, else (None, empty)."""
    folder = Path(model_dir)
    if not (folder / "config.json").is_file() or not (folder / WEIGHTS).is_file():
        return None, set()
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    plain = (config.get("model_type") == "bert"
             and config.get("architectures", [architecture]) == [architecture]
             and config.get("hidden_act", "gelu") == "gelu"
             and config.get("position_embedding_type", "absolute") == "absolute"
             and not config.get("is_decoder", False) and not config.get("add_cross_attention", False))
    if not plain:
        return None, set()
    with safe_open(str(folder / WEIGHTS), "pt") as weights:
        names = weights.keys()
    return config, {k for k in names if not k.endswith("position_ids")}  # a buffer some exports include


def parameter_names(config: dict[str, Any]) -> list[str]:
    """The tensors a BertForSequenceClassification with this config holds, by their Hugging Face names."""
    with torch.device("meta"):
        return list(BertClassifier(config).state_dict())


def load(model_dir: str | Path, dtype: torch.dtype = torch.float32) -> BertClassifier:
    """The classifier with its weights cast to ``dtype``, in eval mode, on the CPU."""
    return _load(model_dir, dtype, lambda config, state: BertClassifier(config))


def load_encoder(model_dir: str | Path, dtype: torch.dtype = torch.float32) -> BertEncoder:
    """The encoder (a BertModel's weights; its pooler is loaded when stored, never used), in eval mode, on the CPU."""
    return _load(model_dir, dtype, lambda config, state: BertEncoder(config, pooler="pooler.dense.weight" in state))


def _load(model_dir: str | Path, dtype: torch.dtype, build: Any) -> Any:
    folder = Path(model_dir)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    state = {k: v.to(dtype) for k, v in load_file(str(folder / WEIGHTS)).items() if not k.endswith("position_ids")}
    with torch.device("meta"):  # no memory, no init: every tensor comes from the file
        model = build(config, state)
    model.load_state_dict(state, strict=True, assign=True)
    return model.requires_grad_(False).eval()


class Linear(nn.Module):
    """A linear layer left uninitialised: every tensor comes from the file, and a random init costs start-up time."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(outputs, inputs))
        self.bias = nn.Parameter(torch.empty(outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


class LayerNorm(nn.Module):
    def __init__(self, size: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(size))
        self.bias = nn.Parameter(torch.empty(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class Embedding(nn.Module):
    def __init__(self, rows: int, size: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(rows, size))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.weight)


def _node(**children: nn.Module) -> nn.Module:
    """A plain container, so that parameters carry Hugging Face's dotted names (bert.encoder.layer.0...)."""
    node = nn.Module()
    for name, child in children.items():
        node.add_module(name, child)
    return node


class Embeddings(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        hidden = config["hidden_size"]
        self.word_embeddings = Embedding(config["vocab_size"], hidden)
        self.position_embeddings = Embedding(config["max_position_embeddings"], hidden)
        self.token_type_embeddings = Embedding(config.get("type_vocab_size", 2), hidden)
        self.LayerNorm = LayerNorm(hidden, config.get("layer_norm_eps", 1e-12))

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings.weight[: input_ids.shape[1]]
        return self.LayerNorm(x)


class Layer(nn.Module):
    """One encoder layer: self-attention, then the feed-forward block, each with a post-LayerNorm residual."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        hidden, inner = config["hidden_size"], config["intermediate_size"]
        eps = config.get("layer_norm_eps", 1e-12)
        self.heads = config["num_attention_heads"]
        self.attention = _node(
            self=_node(query=Linear(hidden, hidden), key=Linear(hidden, hidden), value=Linear(hidden, hidden)),
            output=_node(dense=Linear(hidden, hidden), LayerNorm=LayerNorm(hidden, eps)),
        )
        self.intermediate = _node(dense=Linear(hidden, inner))
        self.output = _node(dense=Linear(inner, hidden), LayerNorm=LayerNorm(hidden, eps))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, first_only: bool = False) -> torch.Tensor:
        """The layer's output for every token, or with ``first_only`` for the first token only (what the pooler
        reads after the last layer): every token is still attended to, but only one row is projected and fed forward."""
        attention = self.attention
        query = x[:, :1] if first_only else x

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(t.shape[0], t.shape[1], self.heads, -1).transpose(1, 2)

        q, k, v = heads(attention.self.query(query)), heads(attention.self.key(x)), heads(attention.self.value(x))
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(query.shape)
        x = attention.output.LayerNorm(attention.output.dense(context) + query)
        return self.output.LayerNorm(self.output.dense(F.gelu(self.intermediate.dense(x))) + x)


class BertClassifier(nn.Module):
    """BertForSequenceClassification at inference: token ids in, class logits out."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        hidden = config["hidden_size"]
        labels = len(config.get("id2label") or {}) or config.get("num_labels", 2)
        self.bert = _node(
            embeddings=Embeddings(config),
            encoder=_node(layer=nn.ModuleList(Layer(config) for _ in range(config["num_hidden_layers"]))),
            pooler=_node(dense=Linear(hidden, hidden)),
        )
        self.classifier = Linear(hidden, labels)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits [rows, labels]. ``attention_mask`` (1 = token, 0 = padding) may be left out when no row is padded."""
        x = self.bert.embeddings(input_ids, token_type_ids)
        mask = None if attention_mask is None else attention_mask.bool()[:, None, None, :]
        layers = self.bert.encoder.layer
        for i, layer in enumerate(layers):
            x = layer(x, mask, first_only=i == len(layers) - 1)
        return self.classifier(torch.tanh(self.bert.pooler.dense(x[:, 0])))


class BertEncoder(nn.Module):
    """BertModel at inference: token ids in, every token's last hidden state out [rows, tokens, hidden]. Parameter
    names are BertModel's (embeddings..., encoder.layer...), as sentence-transformers embedders store them."""

    def __init__(self, config: dict[str, Any], pooler: bool = False) -> None:
        super().__init__()
        self.embeddings = Embeddings(config)
        self.encoder = _node(layer=nn.ModuleList(Layer(config) for _ in range(config["num_hidden_layers"])))
        if pooler:  # stored by many exports, unused by mean or CLS pooling of the hidden states
            self.pooler = _node(dense=Linear(config["hidden_size"], config["hidden_size"]))

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(input_ids, token_type_ids)
        mask = attention_mask.bool()[:, None, None, :]
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return x
