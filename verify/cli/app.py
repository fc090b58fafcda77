"""The root typer app; each command group lives in its own module."""

from __future__ import annotations

import gc
import os
from typing import Annotated

import typer

from verify import __version__
from verify.cli import eval as eval_cli
from verify.cli import models
from verify.cli import store as store_cli
from verify.cli._common import VerifyGroup
from verify.cli.bench import bench
from verify.cli.claims import claims
from verify.cli.pair import pair
from verify.cli.show import show

app = typer.Typer(
    name="verify",
    cls=VerifyGroup,
    help="Find where news articles agree and contradict each other.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("claims")(claims)
app.command("pair")(pair)
app.command("show")(show)
app.command("bench")(bench)
app.add_typer(models.app, name="models")
app.add_typer(eval_cli.app, name="eval")
app.add_typer(store_cli.app, name="store")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"verify {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Exit codes: 0 ok, 1 user error (bad input, setting or command line), 2 internal error, 3 contradictions
    found with --fail-on contradict, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)."""


GC_THRESHOLDS = (100_000, 50, 100)  # the cyclic collector's, for the CLI's process (Python's: 700, 10, 10)


def main() -> None:
    """The ``verify`` command. A run holds a million small records (claims, pairs, verdicts) that the cyclic
    collector would walk again and again, at its default thresholds, while they are made: about a quarter of an
    incremental run at 100k claims. Few of them form cycles, so the collector runs a hundred times less often here.
    When the command is done, what is left is frozen (``gc.freeze``): the collection Python makes as it exits
    would walk and free it object by object (two seconds after a run at 100k claims), where exiting the process
    frees it at once; every report file and store transaction is complete by then. The library leaves the
    caller's collector alone. Nor does it touch numpy's huge pages (``no_huge_page_advice``)."""
    gc.set_threshold(*GC_THRESHOLDS)
    no_huge_page_advice()
    try:
        app()
    finally:
        gc.freeze()


def no_huge_page_advice() -> None:
    """Stop numpy asking the kernel for transparent huge pages (``madvise``) for each array of 4 MB or more, unless
    ``NUMPY_MADVISE_HUGEPAGE`` says what to do. Where the kernel compacts memory to find huge pages as such an
    array is first touched (THP "defrag" set to madvise, as on this project's machine), that compaction
    was the larger part of the system time of an incremental run at 100k claims, which makes and frees gigabytes
    of arrays: on this project's 2-core VM, 3.4-4.2 s of system time with the advice, 2.1-2.9 s without, and the
    run 1 s shorter (evaluations/results/bench-cpu/incremental-fake/add-100k.md)."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # another numpy layout: its default stays
        return
    _set_madvise_hugepage(False)
