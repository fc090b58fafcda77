"""Reading one file safely: regular files only, size caps held while reading, bytes decoded to text.

``read_bounded`` refuses FIFOs, devices and sockets unread and stops at the size cap even when the size on
disk lies; ``decode`` reads UTF-8 (with or without BOM) and UTF-16 with BOM, repairs UTF-8 with a few bad
bytes, and falls back to cp1252, the encoding charset-normalizer detects, or latin-1. A file that cannot be
used raises :class:`SkipFile`, which the readers report and skip. ``shown_path`` and ``excerpt`` keep the
paths and values that warnings quote short and printable.
"""

from __future__ import annotations

import os
import re
import reprlib
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["SkipFile", "Warn", "decode", "excerpt", "open_regular", "os_message", "read_bounded", "scrub_surrogates",
           "shown_path"]

EXCERPT_CHARS = 60  # warnings quote at most this much of a value from the data
UTF16_BOMS: tuple[bytes, ...] = (b"\xff\xfe", b"\xfe\xff")
LATIN_SHARE = 0.3  # cp1252 is trusted when fewer than this share of its letters are non-ASCII

Warn = Callable[[str], None]  # where warnings about skipped or repaired input go

_SURROGATE = re.compile("[\ud800-\udfff]")
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = EXCERPT_CHARS
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 2, 4, 4


class SkipFile(Exception):
    """A file (or record) that is reported and skipped, not fatal; the message says why."""


def scrub_surrogates(text: str) -> str:
    """Replace lone surrogates (undecodable halves of UTF-16 pairs) with U+FFFD, one for one, so offsets hold."""
    return _SURROGATE.sub("\ufffd", text)


def shown_path(path: str | Path, limit: int = 160) -> str:
    """A path as it may appear in a message or a report: undecodable bytes as U+FFFD, a very long path
    shortened in the middle."""
    text = scrub_surrogates(os.fspath(path) if not isinstance(path, str) else path)
    return text if len(text) <= limit else text[: limit // 2] + "…" + text[-(limit // 2) :]


def excerpt(value: Any) -> str:
    """A short quote of a value from the data, for a warning: never the whole thing (a front matter
    alias graph, a megabyte string)."""
    if isinstance(value, str):
        value = scrub_surrogates(value[: EXCERPT_CHARS * 2])
    try:
        return _REPR.repr(value)
    except RecursionError:  # pragma: no cover - maxlevel stops it first
        return f"<{type(value).__name__}>"


def os_message(exc: OSError) -> str:
    """The short reason of an OS error ("Permission denied"), for a warning."""
    return exc.strerror or type(exc).__name__


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading only if it is a regular file: a FIFO would block forever and a
    device (``/dev/zero``, a terminal) never ends, so both are refused without reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SkipFile(f"cannot be read ({os_message(exc)})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
                "a socket" if stat.S_ISSOCK(mode) else "not a file"
            raise SkipFile(f"not a regular file ({kind})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: Path, max_bytes: int, cap: str = "max_file_bytes") -> bytes:
    """The bytes of a regular file, refusing it once more than ``max_bytes`` have been read (the size
    on disk can lie: a growing file, /proc). Raises SkipFile with the reason, naming the ``cap``."""
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise SkipFile(f"file is too big ({size:,} bytes > {cap}={max_bytes:,})")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SkipFile(f"file is too big (more than {cap}={max_bytes:,} bytes)")
    return data


def decode(data: bytes, path: Path, warn: Warn) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM; UTF-8 with a few bad bytes is read as UTF-8 with
    U+FFFD for them (with a warning); other files as cp1252 when that reads as Western text, else in the
    encoding charset-normalizer detects (EUC-KR, Shift-JIS, cp1251, ...), else latin-1; each with a warning.
    Raises SkipFile for a binary file (NUL bytes outside UTF-16)."""
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise SkipFile("binary file (contains NUL bytes)")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8-sig" if bom else "utf-8", errors="replace")
    bad = as_utf8.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = sum(1 for ch in as_utf8 if ord(ch) > 0x7F and ch != "\ufffd")
    if bom or good >= bad:  # mostly UTF-8: a damaged file, not another encoding
        warn(f"{shown_path(path)}: {bad} invalid UTF-8 byte sequence{'s' if bad != 1 else ''} replaced with U+FFFD")
        return as_utf8
    text, encoding = _legacy_decode(data)
    warn(f"{shown_path(path)}: not UTF-8; read as {encoding}")
    return text


def _legacy_decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) of bytes that are not UTF-8: cp1252 when most of its letters are ASCII, else the
    encoding charset-normalizer detects, else cp1252 when it decodes at all, else latin-1 (never fails)."""
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None:
        letters = [ch for ch in western if ch.isalpha()]
        if letters and sum(ord(ch) > 0x7F for ch in letters) < LATIN_SHARE * len(letters):
            return western, "cp1252"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - detection is a best effort; latin-1 below always works
        best = None
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    if western is not None:
        return western, "cp1252"
    return data.decode("latin-1"), "latin-1"
