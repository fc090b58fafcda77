"""What the pipeline asks of a model: an ``Embedder`` (texts -> unit vectors) and a ``Judge`` (text pairs -> NLI
probabilities), one batched call each, plus the attributes the pipeline reads for its cache keys and reports.

Real models (verify.models.embed, verify.models.nli), the fakes (verify.models.fakes), the Ray actors' proxies
(pipeline/engine_ray.py) and the cache and lazy wrappers (pipeline/caches.py) all satisfy these protocols;
the pipeline is typed against them and never probes a model for optional attributes. Both are runtime-checkable
(``isinstance(model, Judge)``) for tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from verify.models.resolve import Resolved

OnBatch = Callable[[int], None]  # called with the number of items a batch finished (progress bars)
Probs = dict[str, float]  # {"entailment": p, "neutral": p, "contradiction": p}


@runtime_checkable
class Embedder(Protocol):
    """Texts -> unit-normalised float32 vectors, one row per text, in the texts' order."""

    @property
    def name(self) -> str:
        """The name the settings gave (alias, Hub id, folder or a registered fake)."""

    @property
    def resolved(self) -> Resolved | None:
        """Where the weights are and their revision (reports, cache keys); None for a built-in fake."""

    def embed(self, texts: Sequence[str], on_batch: OnBatch | None = None) -> np.ndarray: ...


@runtime_checkable
class Judge(Protocol):
    """(premise, hypothesis) texts -> NLI probabilities, one dict per pair, in the pairs' order."""

    @property
    def name(self) -> str:
        """The name the settings gave (alias, Hub id, folder or a registered fake)."""

    @property
    def resolved(self) -> Resolved:
        """Path and revision; the revision names the weights and the temperature (reports, cache keys)."""

    @property
    def backend(self) -> str:
        """How the scores are computed (verify.models.runtime.BACKENDS): scores are cached per backend."""

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: OnBatch | None = None) -> list[Probs]: ...
