"""The ingest cache: a file's articles, and the warnings reading it gave, kept by what they depend on, so an unchanged
file read again costs one pass over its bytes, not its parsing, cleaning and dating.

An entry's key (``file_key``) covers the file's bytes (blake2b), its path as given (article paths and warnings quote
it, and an outlet falls back to its stem), the bytes of its sidecar, and the ``scope`` shared by a whole read: the
size caps, the knowledge that dates articles, the outlets of the shipped packs, and the declared versions of ingest,
extraction (the dating) and the parsers. The store (``verify.pipeline.store``, table ``ingest_files``) holds the
entries, one per file: a file that changes replaces its old entry. An entry that is missing, unreadable or from
another layout is a miss: the file is read as without a cache. ``--date`` overrides and the duplicate check across
files come after the cache, so they are not part of it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import struct
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from verify.ingest.files import SkipFile, open_regular, read_bounded
from verify.ingest.metadata import MAX_FRONT_MATTER_BYTES
from verify.ingest.outlets import outlets_digest
from verify.ingest.version import VERSION as INGEST_VERSION
from verify.knowledge import Knowledge
from verify.records import Article

__all__ = ["MAX_ENTRY_BYTES", "FileCache", "Loaded", "bytes_digest", "decode_entry", "encode_entry", "file_digest",
           "file_id", "file_key", "new_digest", "scope", "sidecar_digest"]

LAYOUT = b"VIF3"  # the entry layout: bump it (with a new magic) when encode_entry changes
MAX_ENTRY_BYTES = 256_000_000  # a file whose entry would be bigger is not cached (SQLite's blob limit is ~1 GB)
_HEADER = struct.Struct("<4sQQ")  # magic, bytes of the JSON head, bytes of the texts; the offsets follow
_SHORT = ("id", "path", "source", "title", "date", "url", "date_source")  # the fields kept in the JSON head
_OPTIONAL = frozenset({"title", "date", "url", "date_source"})
_CHUNK = 1 << 20
_PARSERS = ("trafilatura", "charset-normalizer")  # libraries whose version can change what a file reads as


class FileCache(Protocol):
    """Where entries are kept (``verify.pipeline.store.Store``)."""

    def get_ingest(self, key: str) -> bytes | None: ...

    def put_ingest(self, items: Sequence[tuple[str, str, bytes]]) -> None:
        """Store (file id, key, entry) items; an older entry of the same file id is replaced."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """One article of a file, and the warnings making it gave (metadata, dating): they are reported when the
    article is kept or dropped as a duplicate, after every file is read."""

    article: Article
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def scope(file_bytes: int, record_bytes: int, knowledge: Knowledge | None) -> str:
    """The key part every file of one read shares: caps, dating knowledge, outlets and code versions."""
    from verify import extract

    return _hash(LAYOUT.decode(), INGEST_VERSION, extract.VERSION, *_parser_versions(), str(file_bytes),
                 str(record_bytes), knowledge.digest if knowledge is not None else "-", outlets_digest())


def file_key(scope_key: str, path: Path, digest: str, sidecar: str = "") -> str:
    """The key of one file's entry: the shared scope, the path as given, the file's and its sidecar's digests."""
    return _hash(scope_key, os.fsencode(path).hex(), digest, sidecar)


def file_id(path: Path) -> str:
    """Which file an entry is for (its absolute path), so a changed file's new entry replaces the old one."""
    return _hash(os.fsencode(os.path.abspath(path)).hex())


def new_digest() -> Any:
    """The hash every file digest of the cache is taken with (a hashlib object): the streamed .jsonl reader feeds
    one, so its digest is the one ``file_digest`` gives for the same bytes."""
    return hashlib.blake2b(digest_size=16)


def file_digest(path: Path) -> str:
    """The digest of a regular file's bytes, read in chunks (SkipFile or OSError when it cannot be read)."""
    digest = new_digest()
    with open_regular(path) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def bytes_digest(data: bytes) -> str:
    """The digest of bytes already read (as ``file_digest`` gives for a file holding them)."""
    digest = new_digest()
    digest.update(data)
    return digest.hexdigest()


def sidecar_digest(path: Path) -> str | None:
    """The sidecar ``read_sidecar`` would read for article file ``path``, as "name:digest" ("" when there is
    none); None when it cannot be read whole, so the file is not cached and the reader reports it as usual."""
    try:
        for candidate in (path.with_name(path.stem + ".meta.json"), path.with_suffix(".json")):
            try:
                present = candidate.is_file()
            except OSError:
                continue
            if present:
                return candidate.name + ":" + bytes_digest(read_bounded(candidate, MAX_FRONT_MATTER_BYTES))
    except (SkipFile, OSError, ValueError):
        return None
    return ""


@functools.cache
def _parser_versions() -> tuple[str, ...]:
    versions = []
    for name in _PARSERS:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    return tuple(versions)


def _hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", errors="surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------------


def encode_entry(warnings: Sequence[str], loaded: Sequence[Loaded]) -> bytes:
    """An entry: a JSON head (the file's warnings; each article's short fields, warnings and text lengths), the
    texts and originals of all articles as one UTF-8 run, read back without parsing, and the offsets of all
    articles, one after the other, as their steps: a kept character mostly follows the one before (a step of 1),
    so only the other steps are kept, as compressed little-endian int32 (where, step) pairs."""
    import numpy as np

    head = {"warnings": list(warnings),
            "articles": [{**{name: getattr(item.article, name) for name in _SHORT}, "notes": list(item.notes),
                          "sizes": [len(item.article.text), len(item.article.original)]} for item in loaded]}
    packed = json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8", errors="surrogatepass")
    texts = "".join(part for item in loaded for part in (item.article.text, item.article.original))
    strings = texts.encode("utf-8", errors="surrogatepass")
    offsets = np.concatenate([np.asarray(item.article.offsets, dtype=np.int64) for item in loaded] or [[]])
    steps = np.diff(offsets, prepend=0)
    where = np.flatnonzero(steps != 1)
    jumps = zlib.compress(np.stack([where, steps[where]], axis=1).astype("<i4").tobytes(), 1)
    return _HEADER.pack(LAYOUT, len(packed), len(strings)) + packed + strings + jumps


def decode_entry(blob: bytes) -> tuple[list[str], list[Loaded]]:
    """(warnings, articles) of an entry; ValueError (or another error) when it is not a whole entry of this
    layout."""
    import numpy as np

    if not isinstance(blob, bytes) or len(blob) < _HEADER.size:
        raise ValueError("not an ingest entry")
    magic, head_size, strings_size = _HEADER.unpack_from(blob)
    if magic != LAYOUT:
        raise ValueError("another entry layout")
    view, start = memoryview(blob), _HEADER.size
    head = json.loads(str(view[start : start + head_size], "utf-8", "surrogatepass"))
    start += head_size
    strings = str(view[start : start + strings_size], "utf-8", "surrogatepass")
    jumps = np.frombuffer(zlib.decompress(view[start + strings_size :]), dtype="<i4").reshape(-1, 2)
    warnings, rows = head["warnings"], head["articles"]
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings) or not isinstance(rows, list):
        raise ValueError("bad entry")
    sizes = [(int(row["sizes"][0]), int(row["sizes"][1])) for row in rows]
    if sum(t + o for t, o in sizes) != len(strings) or min((min(pair) for pair in sizes), default=0) < 0:
        raise ValueError("texts cut short")
    steps = np.ones(sum(t + 1 for t, _ in sizes), dtype=np.intc)  # every offset (and so every sum) is an int
    if len(jumps) and (jumps[:, 0].min() < 0 or jumps[:, 0].max() >= len(steps)):
        raise ValueError("offsets do not match the texts")
    steps[jumps[:, 0]] = jumps[:, 1]
    offsets = memoryview(np.cumsum(steps, dtype=np.intc).tobytes())
    width = array("i").itemsize
    loaded: list[Loaded] = []
    at = mapped_at = 0
    for row, (text_size, original_size) in zip(rows, sizes):
        values = {name: row[name] for name in _SHORT}
        for name, value in values.items():
            if not (isinstance(value, str) or (value is None and name in _OPTIONAL)):
                raise ValueError(f"bad {name}")
        notes = row["notes"]
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise ValueError("bad notes")
        text, original = strings[at : at + text_size], strings[at + text_size : at + text_size + original_size]
        at += text_size + original_size
        mapped = array("i")
        mapped.frombytes(offsets[mapped_at * width : (mapped_at + text_size + 1) * width])
        mapped_at += text_size + 1
        loaded.append(Loaded(Article(**values, text=text, original=original, offsets=mapped), tuple(notes)))
    return warnings, loaded
