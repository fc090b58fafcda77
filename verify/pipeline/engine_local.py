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


def import_spacy(nlp_model: str | None) -> None:
    """Import spaCy now with torch hidden, when the pipeline to load is one of the CNN pipelines verify pins
    (``verify.nlp.SPACY_PACKAGES``, the default). thinc, spaCy's ML library, imports torch whenever it is
    installed - 2 to 3 s of a run that extracts one article - though those pipelines never use it. torch
    imports as usual afterwards, for the models that do use it. Another pipeline (a transformer one needs
    torch through thinc) is imported as it is; so is spaCy when it or torch is imported already."""
    import sys

    from verify.nlp import SPACY_PACKAGES

    if nlp_model not in (None, *SPACY_PACKAGES) or {"spacy", "thinc", "torch"} & set(sys.modules):
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # "import torch" raises ImportError meanwhile
    try:
        import spacy  # noqa: F401
    except ImportError:
        pass  # not installed: loading the pipeline says so
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]
