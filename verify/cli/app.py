"""The root typer app; each command group lives in its own module."""

from __future__ import annotations

import gc
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
    caller's collector alone."""
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        app()
    finally:
        gc.freeze()
