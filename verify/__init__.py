"""verify: find where news articles agree and contradict each other.

The public API (imported on first use, so ``import verify`` stays fast)::

    verify.article(text, source=..., title=..., date=...)  -> Article   (in memory, cleaned as ingest cleans)
    verify.run(paths_or_articles, settings=None, pipeline=None) -> Report
    verify.Pipeline(verify.Settings(...))                  # models loaded once, reused across runs
    verify.to_dict(report)                                 -> the versioned JSON report as a dict

See ``verify/api.py``.
"""

__version__ = "0.1.0"

import os as _os

# oneDNN keeps a compiled kernel (and its scratch memory) per input shape; with length-varying batches
# that cache alone grew to gigabytes. 16 entries keep bf16 inference as fast and its memory flat.
# Set before torch first uses oneDNN; a value the user set wins.
_os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")
# torch's OpenMP threads sleep rather than spin while they wait: on a machine whose cores other processes share,
# spinning threads take turns away from the working ones (NLI on 2 busy cores: 56 -> 87 pairs/s with 2 threads).
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_LAZY = {
    "article": "verify.api", "run": "verify.api", "to_dict": "verify.api",
    "Pipeline": "verify.pipeline.core", "Settings": "verify.config",
    "Article": "verify.records", "Report": "verify.records", "Claim": "verify.records", "PairVerdict": "verify.records",
    "VerifyError": "verify.errors", "InputError": "verify.errors",
}
__all__ = ["Article", "Claim", "InputError", "PairVerdict", "Pipeline", "Report", "Settings", "VerifyError", "__version__",
           "article", "run", "to_dict"]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'verify' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
