"""Report files on disk: ``write_reports`` writes ``report.json``/``.md``/``.html`` as one set with a
manifest, ``manifest_problem`` tells whether a file belongs to its folder's set, and ``write_atomic`` is
the project's one atomic file write (temporary file, fsync, rename).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import queue
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from verify import __version__
from verify.errors import ConfigError, InputError
from verify.records import Report
from verify.report.html import render_html
from verify.report.markdown import render_markdown
from verify.report.schema import inert_json, iter_json
from verify.report.view import created_at, iso_utc

FORMATS: dict[str, str] = {"json": "report.json", "md": "report.md", "html": "report.html"}
MANIFEST = "report.manifest.json"  # which files make up the last complete report set


class ReportWriteError(InputError):
    """The report files could not be written (a full disk, a read-only folder)."""


def _iter_inert_json(report: Report) -> Iterator[str | bytes]:
    return (inert_json(piece) if isinstance(piece, str) else piece for piece in iter_json(report))  # bytes: inert


_RENDERERS: dict[str, Callable[[Report], str | Iterable[str | bytes]]] = {
    "json": _iter_inert_json, "md": render_markdown, "html": render_html}


def write_reports(report: Report, out_dir: Path, formats: Sequence[str],
                  on_written: Callable[[Path], None] | None = None) -> list[Path]:
    """Write ``report.<fmt>`` for each format into ``out_dir`` as one set; return the report paths.

    Every file is first rendered in full to a temporary name beside its target. Only when all are
    rendered are they renamed into place (Ctrl-C and SIGTERM wait for the renames), and then
    ``report.manifest.json`` names the run, its time and each file's size and SHA-256: a reader can
    always tell which files belong together. Interrupted or failed while rendering (a full disk):
    nothing is replaced, the temporary files are removed, the previous set stays whole; a failure
    raises ``ReportWriteError`` saying so. ``on_written(path)`` is called for each file put in place."""
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ConfigError(f"unknown report format {', '.join(map(repr, unknown))}; use one of: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the report folder ({exc.strerror})") from None
    stamped = _stamp_created(report)  # every format shows the same run time
    staged: list[tuple[Path, Path, str, int]] = []  # target, temporary file, sha256, bytes
    written: list[Path] = []
    try:
        try:
            for fmt in dict.fromkeys(formats):
                target = out_dir / FORMATS[fmt]
                staged.append((target, *_stage(target, _RENDERERS[fmt](stamped))))
        except OSError as exc:
            raise ReportWriteError(f"{out_dir}: could not write the reports ({exc.strerror or exc}); nothing was "
                                   "replaced, the previous reports are intact") from None
        manifest = {
            "run": stamped.meta.get("run_id") or f"{created_at(stamped)}-{os.urandom(4).hex()}",
            "created": created_at(stamped),
            "verify_version": __version__,
            "complete": True,
            "files": {target.name: {"bytes": size, "sha256": digest} for target, _, digest, size in staged},
        }
        with _interrupts_deferred():
            try:
                (out_dir / MANIFEST).unlink(missing_ok=True)  # no manifest while the set is mixed
                for target, tmp, _, _ in staged:
                    os.replace(tmp, target)
                    written.append(target)
                write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2) + "\n")
            except OSError as exc:
                done = ", ".join(p.name for p in written) or "none"
                raise ReportWriteError(f"{out_dir}: could not finish writing the reports ({exc.strerror or exc}); "
                                       f"replaced: {done}; no {MANIFEST}, so the set is not complete") from None
    finally:
        for _, tmp, _, _ in staged:
            tmp.unlink(missing_ok=True)
    if on_written:
        for path in [*written, out_dir / MANIFEST]:
            on_written(path)
    return written


def manifest_problem(path: Path) -> str | None:
    """Why ``path`` (a report file) is not part of the complete set its folder's manifest names, or None
    when it is (or when there is no manifest to check against, e.g. a report written elsewhere)."""
    path = Path(path)
    manifest = path.parent / MANIFEST
    if not manifest.is_file():
        return None
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        entry = files[path.name]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except KeyError:
        return f"{path.name} is not in {manifest}; it is not from the run that wrote the other reports"
    except (OSError, ValueError, TypeError) as exc:
        return f"{manifest} is unreadable ({type(exc).__name__})"
    if digest != entry.get("sha256"):
        return f"{path} does not match {manifest} (another run wrote it, or a write was cut short)"
    return None


def _stage(target: Path, content: str | bytes | Iterable[str | bytes]) -> tuple[Path, str, int]:
    """Write ``content`` (text as UTF-8) to a temporary file beside ``target`` (synced, mode of the target);
    return it, its SHA-256 and its size. The temporary file is removed if anything goes wrong."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            sink = _Sink(handle)
            try:
                for data in _blocks([content] if isinstance(content, (str, bytes)) else content):
                    sink.put(data)
            finally:
                sink.close()
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, sink.digest.hexdigest(), sink.size


class _Sink:
    """Hashes (SHA-256) and writes blocks to ``handle`` on a thread of its own while the caller makes the next
    ones: hashing and writing release the GIL, so a 500 MB report is written while it is rendered. ``put`` and
    ``close`` raise what the thread met (a full disk); ``close`` always stops the thread."""

    QUEUED = 16  # blocks (about 1 MB each) waiting at most
    WRITEBACK = 32 << 20  # bytes after which the disk is asked to start writing them (see ``_written``)

    def __init__(self, handle: Any) -> None:
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0
        self.flushed = 0  # bytes the disk was asked to write
        self.error: BaseException | None = None
        self.queue: queue.Queue[bytes | None] = queue.Queue(self.QUEUED)
        self.thread = threading.Thread(target=self._run, name="verify-report-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:  # after a failure the rest is drained, not written
                try:
                    self.digest.update(data)
                    self.handle.write(data)
                    self._written()
                except BaseException as exc:  # noqa: BLE001 - handed to the caller by put/close
                    self.error = exc

    def _written(self) -> None:
        """Every WRITEBACK bytes, ask the kernel to start writing what is written so far to disk, without waiting
        (Linux starts writeback on ``POSIX_FADV_DONTNEED``): the file's final ``fsync`` then waits for the last
        few megabytes instead of the whole file (0.8 s for a 440 MB report here, after it was all rendered)."""
        done = self.handle.tell()
        if done - self.flushed >= self.WRITEBACK and hasattr(os, "posix_fadvise"):
            self.handle.flush()
            os.posix_fadvise(self.handle.fileno(), self.flushed, done - self.flushed, os.POSIX_FADV_DONTNEED)
            self.flushed = done

    def put(self, data: bytes) -> None:
        self._raise()
        self.size += len(data)
        self.queue.put(data)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


def _blocks(pieces: Iterable[str | bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """The pieces (text as UTF-8) joined into blocks of about ``size`` bytes: hashing and writing 300k
    records one by one cost more than making them."""
    text: list[str] = []
    data: list[bytes] = []
    length = 0
    for piece in pieces:
        if isinstance(piece, str):
            text.append(piece)
        else:
            if text:
                data.append("".join(text).encode("utf-8"))
                text = []
            data.append(piece)
        length += len(piece)
        if length >= size:
            if text:
                data.append("".join(text).encode("utf-8"))
                text = []
            yield b"".join(data)
            data, length = [], 0
    if text:
        data.append("".join(text).encode("utf-8"))
    if data:
        yield b"".join(data)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block ends, then deliver them: a few renames must not
    be cut in half. Only in the main thread (elsewhere signals are not delivered to Python code)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[tuple[int, Any]] = []
    wanted = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.getsignal(sig) for sig in wanted}
    for sig in wanted:
        signal.signal(sig, lambda signum, frame: pending.append((signum, frame)))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum, frame in pending[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL and signum == signal.SIGINT:
                raise KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


def _stamp_created(report: Report) -> Report:
    if report.meta.get("created"):
        return report
    return dataclasses.replace(report, meta={**report.meta, "created": iso_utc(datetime.now(UTC))})


def write_atomic(path: Path, content: str | bytes | Iterable[str]) -> None:
    """Write to a temp file beside ``path`` (synced), then rename over it: readers see old or new, never half.
    ``content`` is text (written as UTF-8, newlines as they are), bytes (a PNG), or text in pieces (an
    iterable of strings), written as they come."""
    tmp, _, _ = _stage(path, content)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
