"""The model layer: the contracts the pipeline relies on (contracts: Embedder, Judge), names resolved through
the registry (resolve), sentence embeddings (embed), an NLI cross-encoder (nli) on a backend (runtime), and
deterministic fakes for tests (fakes). It takes plain arguments: it never imports the store, the settings or
the pipeline, which caches what the models compute (pipeline/caches.py)."""

from pathlib import Path

# The declared version of the model code, part of the pipeline's core_version (pipeline/caches.py): bump it
# when these sources change (tests/pipeline/test_versions.py fails until you do).
VERSION = "7"

# Settings.cache_dir's default; exported ONNX graphs go here when the model folder is read-only.
CACHE_DIR = Path.home() / ".cache" / "verify"
