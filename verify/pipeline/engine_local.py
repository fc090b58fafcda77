"""`--engine local`: the models the settings name, loaded in this process. The Ray engine's actors load theirs
with the same two functions (verify.pipeline.engine_ray), so both engines run the same models the same way."""

from __future__ import annotations

from verify.config import Settings
from verify.models.contracts import Embedder, Judge


def local_embedder(settings: Settings) -> Embedder:
    """The embedding model the settings name, loaded in this process (here or in a Ray actor)."""
    from verify.models.embed import SentenceEmbedder

    return SentenceEmbedder(settings.embed_model, device=settings.device, batch_size=settings.batch_size,
                            allow_download=settings.allow_download)


def local_judge(settings: Settings) -> Judge:
    """The NLI judge the settings name (a registered fake, or a model on the settings' backend), loaded in this
    process (here or in a Ray actor)."""
    from verify.models.nli import load_judge

    return load_judge(settings.nli_model, device=settings.device, batch_size=settings.batch_size,
                      allow_download=settings.allow_download, backend=settings.backend, cache_dir=settings.cache_dir)
