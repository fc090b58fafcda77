"""Name -> object registries, with lazy "module:attr" entries and did-you-mean errors."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from verify.errors import VerifyError
from verify.models.contracts import Embedder, Judge

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | str] = {}

    def register(self, name: str, obj: T | str) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = obj

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def get(self, name: str) -> T:
        try:
            obj = self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._entries), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(self) or 'none'}"
            raise VerifyError(f"unknown {self.kind} {name!r}{hint}") from None
        if isinstance(obj, str) and ":" in obj:
            module, _, attr = obj.partition(":")
            obj = getattr(importlib.import_module(module), attr)
            self._entries[name] = obj
        return obj  # type: ignore[return-value]

    def suggest(self, name: str) -> str | None:
        close = difflib.get_close_matches(name, list(self._entries), n=1)
        return close[0] if close else None


# Stage implementations chosen by name (verify.models.contracts); anything not registered is a model id/path.
EMBEDDERS: Registry[Callable[..., Embedder]] = Registry("embedder")
EMBEDDERS.register("hash", "verify.models.fakes:HashEmbedder")
NLI_JUDGES: Registry[Callable[..., Judge]] = Registry("NLI judge")
NLI_JUDGES.register("keyword", "verify.models.fakes:KeywordNLI")
