"""User-facing errors. Each message says what went wrong and what to do next."""

from __future__ import annotations


class VerifyError(Exception):
    """Base class: the CLI prints the message on one line and exits 1."""


class InputError(VerifyError):
    """An input path or file cannot be used."""


class ModelNotFound(VerifyError):
    """A model alias, id or path cannot be resolved (offline, or a typo)."""


class ConfigError(VerifyError):
    """A setting has a bad value."""
