"""The `verify` command: typer sub-apps over the library. The only code that prints."""

from __future__ import annotations

from verify.cli.app import app, main

__all__ = ["app", "main"]
