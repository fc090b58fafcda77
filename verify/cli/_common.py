"""Shared CLI plumbing: consoles, one-line errors, progress bars, logging."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import VerifyError

out = Console(soft_wrap=True)  # data: stdout
err = Console(stderr=True, soft_wrap=True)  # messages, progress: stderr

EXIT_OK, EXIT_USER, EXIT_INTERNAL = 0, 1, 2


@contextmanager
def user_errors() -> Iterator[None]:
    """VerifyError -> one red line, exit 1; Ctrl-C -> exit 130; anything else -> one line, exit 2."""
    try:
        yield
    except VerifyError as exc:
        err.print(f"[red]Error:[/red] {exc}", highlight=False, markup=True)
        raise typer.Exit(EXIT_USER) from None
    except KeyboardInterrupt:
        err.print("[yellow]Interrupted.[/yellow] Reports already written are intact.")
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        if os.environ.get("VERIFY_DEBUG"):
            raise
        err.print(f"[red]Internal error:[/red] {type(exc).__name__}: {exc} (set VERIFY_DEBUG=1 for the traceback)")
        raise typer.Exit(EXIT_INTERNAL) from None


def setup_logging(verbose: int) -> None:
    if verbose:
        from rich.logging import RichHandler

        level = logging.DEBUG if verbose > 1 else logging.INFO
        logging.basicConfig(level=level, handlers=[RichHandler(console=err, show_path=False)], format="%(message)s", force=True)


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


def status(message: str) -> AbstractContextManager:
    """A spinner on stderr while something slow happens (only on a terminal)."""
    return err.status(message) if err.is_terminal else nullcontext()


def warn(message: str) -> None:
    err.print(f"[yellow]Warning:[/yellow] {message}", highlight=False)


def quiet_libraries() -> None:
    """Keep third-party chatter (HF progress bars, load reports) off the user's terminal."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    if not sys.warnoptions:
        import warnings

        warnings.filterwarnings("ignore", category=FutureWarning)
