"""Shared fixtures: deterministic fakes for fast tests, real models (slow) loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path, tmp_path_factory):
    """No user verify.toml or VERIFY_* variables leak into tests; caches go to tmp."""
    for key in list(os.environ):
        if key.startswith("VERIFY_") and key not in ("VERIFY_MODELS_DIR",):
            monkeypatch.delenv(key)
    config = tmp_path_factory.mktemp("config") / "verify.toml"  # VERIFY_CONFIG must name an existing file
    config.write_text("")
    monkeypatch.setenv("VERIFY_CONFIG", str(config))
    monkeypatch.setenv("VERIFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def fake_settings(tmp_path):
    """Settings that select the HashEmbedder and KeywordNLI fakes (verify.models.fakes, registered in verify.registry)."""
    from verify.config import Settings

    return Settings(embed_model="hash", nli_model="keyword", cache_dir=tmp_path / "cache", knowledge=("default", "korea"))


@pytest.fixture
def fake_env(monkeypatch):
    """Make the CLI use the fakes through the environment, as a user would with VERIFY_*."""
    monkeypatch.setenv("VERIFY_EMBED_MODEL", "hash")
    monkeypatch.setenv("VERIFY_NLI_MODEL", "keyword")


@pytest.fixture(scope="session")
def real_pipeline():
    """The shipped models, loaded once per session (slow tests only)."""
    from verify.config import Settings
    from verify.pipeline.core import Pipeline

    return Pipeline(Settings(device="cpu", knowledge=("default", "korea")))  # the seeds are the korea story


@pytest.fixture(scope="session")
def seed_report(real_pipeline):
    return real_pipeline.run_paths([SEEDS])


@pytest.fixture
def cli():
    """The root `verify` typer app, for CliRunner tests."""
    from verify.cli import app

    return app
