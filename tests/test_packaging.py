"""Installability: the wheel carries every package, the knowledge packs, the fitted verdict parameters,
the model registry and the shipped NLI model, so an installed copy runs outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_is_listed_for_the_wheel():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "verify").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert "verify._models" in listed and (ROOT / "models" / "__init__.py").is_file()


def test_package_data_patterns_cover_the_data_files():
    data = _pyproject()["tool"]["setuptools"]["package-data"]
    assert "knowledge/*/*.json" in data["verify"]
    stray = [p for p in (ROOT / "verify" / "knowledge").rglob("*") if p.is_file() and p.suffix not in (".json", ".py", ".pyc")]
    assert stray == [], "knowledge packs hold JSON only (or extend package-data)"


@pytest.mark.slow
def test_an_installed_copy_runs_outside_the_checkout(tmp_path):
    wheels, target, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    work.mkdir()
    pip = [sys.executable, "-m", "pip", "-q"]
    source = tmp_path / "source"  # a copy, so the build leaves no build/ folder in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "verify", "models", "requirements"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name, **({"ignore": shutil.ignore_patterns("__pycache__", "onnx")}
                                           if (ROOT / name).is_dir() else {}))
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", str(source), "-w", str(wheels)], check=True,
                   capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("verify-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target), "VERIFY_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    env.pop("VERIFY_MODELS_DIR", None)

    def verify(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "verify", *args], cwd=work, env=env, capture_output=True, text=True)

    probe = subprocess.run([sys.executable, "-c", "import verify, verify.models.resolve as m; print(verify.__file__);"
                            "print(m.resolve('verify-nli-minilm', 'nli').path)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    package_file, nli_path = probe.stdout.split()
    assert package_file.startswith(str(target)) and nli_path.startswith(str(target))
    listed = verify("models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "verify-nli-minilm" in listed.stdout
    article = work / "a.md"
    article.write_text("---\nsource: Wire A\ntitle: Acme buys Widget Corp for $2bn\n---\n"
                       "Acme Corp said on Monday it will buy Widget Corp for $2bn in cash.\n", encoding="utf-8")
    (work / "b.md").write_text("---\nsource: Wire B\n---\nAcme Corp will pay $3bn for Widget Corp, the company "
                               "said on Monday.\n", encoding="utf-8")
    env |= {"VERIFY_EMBED_MODEL": "hash", "VERIFY_NLI_MODEL": "keyword"}
    run = verify("claims", "a.md", "b.md", "--knowledge", "default,korea", "--json", "--no-store")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["claims"] and any("Acme Corp" in c["entities"] for c in report["claims"])
