"""Settings: flag > VERIFY_* environment > verify.toml > defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from verify.errors import ConfigError
from verify.models import CACHE_DIR

Device = Literal["auto", "cpu", "cuda"]
Engine = Literal["local", "ray"]
Backend = Literal["auto", "torch", "torch-bf16", "onnx", "onnx-int8"]  # verify.models.runtime.BACKENDS


def _toml_file() -> Path:
    return Path(os.environ.get("VERIFY_CONFIG", "verify.toml"))


def _check_config_file() -> None:
    """A file named by VERIFY_CONFIG must exist and be a file (a missing verify.toml in the current folder
    is fine: it is only looked for)."""
    named = os.environ.get("VERIFY_CONFIG")
    if not named:
        return
    path = Path(named).expanduser()
    if path.is_dir():
        raise ConfigError(f"VERIFY_CONFIG={named}: is a folder; name a TOML file (or unset VERIFY_CONFIG)")
    if not path.is_file():
        raise ConfigError(f"VERIFY_CONFIG={named}: no such file; create it or unset VERIFY_CONFIG")


class Settings(BaseSettings):
    """Everything a run depends on. Thresholds are recorded in every report."""

    model_config = SettingsConfigDict(env_prefix="VERIFY_", extra="forbid", frozen=True)

    embed_model: str = Field("all-MiniLM-L6-v2", description="sentence-transformers alias, HF id or path")
    nli_model: str = Field("verify-nli-minilm", description="NLI cross-encoder alias, HF id or path")
    device: Device = "auto"
    backend: Backend = Field("auto", description="NLI inference backend; auto picks the fastest for the device")
    batch_size: int = Field(32, ge=1)
    allow_download: bool = Field(False, description="let models be fetched from the Hugging Face Hub")
    data_dir: Path = Path("../shared/data")
    cache_dir: Path = Field(CACHE_DIR, description="caches: the store, exported ONNX graphs")
    store: Path | None = Field(None, description="the incremental store (SQLite); default <cache_dir>/cache.sqlite")
    engine: Engine = Field("local", description="local: this process; ray: Ray tasks and actors (pip install ray)")
    ray_address: str | None = Field(None, description="Ray cluster address ('auto', 'ray://head:10001'); None: local")
    ray_workers: int = Field(2, ge=1, description="model actors per stage (each loads the model once)")

    # input caps (articles are untrusted web text)
    max_file_bytes: int = Field(5_000_000, ge=1, description="largest .txt/.md/.html file read")
    max_record_bytes: int = Field(5_000_000, ge=1, description="largest .jsonl line; an archive is streamed")

    # pairing
    top_k: int = Field(5, ge=1, description="nearest claims from other sources considered per claim")
    min_similarity: float = Field(0.5, ge=-1, le=1, description="cosine needed for a top-k candidate")
    shared_min_similarity: float = Field(0.35, ge=-1, le=1, description="cosine needed when claims share an entity/value")
    within_source: bool = False

    # knowledge: topic data packs (verify/knowledge/<name>/ or a folder path); later packs add to earlier ones
    knowledge: tuple[str, ...] = Field(("default",), description="knowledge packs, e.g. ['default', 'korea']")
    nlp_model: str | None = Field(None, description="spaCy pipeline package or folder; default en_core_web_sm 3.8.0")

    # verdicts: None means the value fitted in verify/verdict/params.json
    contradict_threshold: float | None = Field(None, ge=0, le=1, description="NLI contradiction needed; None: fitted")
    support_threshold: float | None = Field(None, ge=0, le=1, description="NLI entailment needed; None: fitted")
    weak_entail: float | None = Field(None, ge=0, le=1,
                                      description="a contradiction counts only when entailment is below this; None: fitted")
    same_fact_similarity: float | None = Field(None, ge=-1, le=1,
                                               description="cosine above which value conflicts count; None: fitted")
    disabled_rules: tuple[str, ...] = Field((), description="verdict rules to skip (verify.verdict.RULE_NAMES)")

    @field_validator("disabled_rules", mode="after")
    @classmethod
    def _known_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from verify.verdict import check_rule_names

        return check_rule_names(value)

    @field_validator("data_dir", "cache_dir", "store", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @property
    def store_path(self) -> Path:
        return self.store or self.cache_dir / "cache.sqlite"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_toml_file())

    def public(self) -> dict[str, Any]:
        """The settings as JSON-able values, for reports."""
        return {k: str(v) if isinstance(v, Path) else v for k, v in self.model_dump().items()}


def load_settings(**overrides: Any) -> Settings:
    """Build settings, dropping overrides that are None (flags not given)."""
    try:
        _check_config_file()
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("bad setting: " + "; ".join(lines)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed verify.toml
        raise ConfigError(f"{_toml_file()}: {exc}") from None
