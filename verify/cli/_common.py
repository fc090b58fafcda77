"""Shared CLI plumbing: consoles, one-line errors, progress bars, logging."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text
from typer.core import TyperGroup

try:  # typer >= 0.2x vendors click as typer._click; older typer uses click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors

from verify.errors import VerifyError

# typer's vendored click has no Abort (typer.Abort is it); plain click has its own
_ABORTS: tuple[type[BaseException], ...] = tuple({typer.Abort, getattr(click_errors, "Abort", typer.Abort)})

out = Console(soft_wrap=True)  # data: stdout
err = Console(stderr=True, soft_wrap=True)  # messages, progress: stderr

# The exit codes the README documents. Usage errors (an unknown flag, a missing argument) are user errors.
EXIT_OK, EXIT_USER, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

def terminal_text(text: object, one_line: bool = False) -> str:
    """``text`` safe to print: control characters (ESC starts terminal escape sequences, OSC sets titles
    and links) and bidi controls (they reorder what a terminal shows) removed, see verify.report.safe_text;
    with ``one_line``, line breaks shown as "\\n" so a file name or a value cannot fake a line of output."""
    from verify.report import safe_text

    if one_line:
        text = str(text).replace("\r", "\\r").replace("\n", "\\n")
    return safe_text(text)


def message(label: str, style: str, body: object) -> Text:
    """"Label: body" as rich Text: the body is never read as markup and never carries control characters."""
    return Text.assemble((label, style), " ", terminal_text(body, one_line=True))


def cell(value: object) -> Text:
    """A table cell or title from data: plain text, never markup, no control characters."""
    return Text(terminal_text(value))


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the run is marked interrupted, reports already written stay."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated (a KeyboardInterrupt) in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def user_errors() -> Iterator[None]:
    """VerifyError -> one red line, exit 1; Ctrl-C -> exit 130 (SIGTERM 143); anything else -> one line, exit 2."""
    try:
        yield
    except VerifyError as exc:
        err.print(message("Error:", "red", exc), highlight=False)
        raise typer.Exit(EXIT_USER) from None
    except KeyboardInterrupt as exc:
        what = "Terminated." if isinstance(exc, Terminated) else "Interrupted."
        err.print(message(what, "yellow", "Reports written before this point are intact (see report.manifest.json)."),
                  highlight=False)
        raise typer.Exit(EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        if os.environ.get("VERIFY_DEBUG"):
            raise
        text = str(exc)
        text = text if len(text) <= 300 else text[:300] + "…"
        detail = f"{type(exc).__name__}: {text} (set VERIFY_DEBUG=1 for the traceback)"
        err.print(message("Internal error:", "red", detail), highlight=False)
        raise typer.Exit(EXIT_INTERNAL) from None


class VerifyGroup(TyperGroup):
    """The root command group: a usage error (unknown option, missing argument, bad value) is one line
    on stderr and exit 1, like any other user error; exit 2 stays reserved for internal errors."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
        except click_errors.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `verify` or `verify eval` alone: the help, as asked
                typer.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
            else:
                where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
                err.print(message("Error:", "red", f"{exc.format_message()}{where}"), highlight=False)
            if not standalone_mode:
                raise
            sys.exit(EXIT_USER)
        except click_errors.ClickException as exc:  # pragma: no cover - typer raises only usage errors here
            if not standalone_mode:
                raise
            err.print(message("Error:", "red", exc.format_message()), highlight=False)
            sys.exit(exc.exit_code)
        except _ABORTS:
            if not standalone_mode:
                raise
            err.print(message("Aborted.", "yellow", ""), highlight=False)
            sys.exit(EXIT_INTERRUPTED)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def setup_logging(verbose: int) -> None:
    if verbose:
        from rich.logging import RichHandler

        class SafeHandler(RichHandler):
            """Log lines quote file names and metadata: never markup, never control characters."""

            def render_message(self, record: logging.LogRecord, message: str) -> Any:
                return super().render_message(record, terminal_text(message))

        level = logging.DEBUG if verbose > 1 else logging.INFO
        handler = SafeHandler(console=err, show_path=False, markup=False)
        logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """A ProgressFactory drawing one rich bar per pipeline stage on stderr."""
    if not enabled or not err.is_terminal:
        yield lambda stage, total: (lambda n: None)
        return
    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bars:
        def factory(stage: str, total: int) -> Callable[[int], None]:
            task = bars.add_task(stage, total=max(total, 1))
            return lambda n: bars.advance(task, n)

        yield factory


def status(text: str) -> AbstractContextManager:
    """A spinner on stderr while something slow happens (only on a terminal)."""
    return err.status(Text(terminal_text(text, one_line=True))) if err.is_terminal else nullcontext()


def warn(text: str) -> None:
    err.print(message("Warning:", "yellow", text), highlight=False)


def wrote(path: object) -> None:
    err.print(message("Wrote", "", path), highlight=False)


def quiet_libraries(allow_download: bool | None = None) -> None:
    """Keep third-party chatter (HF progress bars, load reports) off the user's terminal, and keep the
    Hugging Face libraries offline unless downloads are allowed (``allow_download``: the flag; None: the
    settings, i.e. VERIFY_ALLOW_DOWNLOAD or verify.toml). Call it before anything imports huggingface_hub,
    which reads HF_HUB_OFFLINE once, at import."""
    if allow_download is None:
        try:
            from verify.config import load_settings

            allow_download = load_settings().allow_download
        except VerifyError:
            allow_download = False  # the command itself reports the bad setting
    if not allow_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    else:
        for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            if os.environ.get(key, "").strip().lower() in ("1", "true", "yes", "on"):
                warn(f"{key}={os.environ[key]} in the environment blocks --allow-download; unset it to download")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # read by transformers when it is imported, if it ever is: importing it here would cost every command a second
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if "transformers" in sys.modules:  # already imported (a host program, tests): quiet it now
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    if not sys.warnoptions:
        import warnings

        warnings.filterwarnings("ignore", category=FutureWarning)


def pack_names(spec: str | None) -> tuple[str, ...] | None:
    """``--knowledge default,korea`` -> ("default", "korea"); None when the flag was not given."""
    return tuple(p.strip() for p in spec.split(",") if p.strip()) if spec else None

