"""A small SQLite store: embeddings by (model, text hash) and NLI scores by (model, pair hash), with
named, append-only migrations. Every write is one transaction, so an interrupted run leaves it usable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

# Append-only: never edit a migration that has shipped, add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_embeddings",
        "CREATE TABLE embeddings (model TEXT NOT NULL, text_hash TEXT NOT NULL, dim INTEGER NOT NULL,"
        " vector BLOB NOT NULL, PRIMARY KEY (model, text_hash))",
    ),
    (
        "002_nli_scores",
        "CREATE TABLE nli_scores (model TEXT NOT NULL, pair_hash TEXT NOT NULL, entailment REAL NOT NULL,"
        " neutral REAL NOT NULL, contradiction REAL NOT NULL, PRIMARY KEY (model, pair_hash))",
    ),
]


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        self.db.execute("PRAGMA journal_mode=WAL") if str(path) != ":memory:" else None
        self._migrate()

    def _migrate(self) -> None:
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT DEFAULT CURRENT_TIMESTAMP)")
            done = {row[0] for row in self.db.execute("SELECT name FROM _migrations")}
            for name, sql in MIGRATIONS:
                if name not in done:
                    self.db.execute(sql)
                    self.db.execute("INSERT INTO _migrations (name) VALUES (?)", (name,))

    def migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM _migrations ORDER BY name")]

    def _select(self, columns: str, table: str, key: str, model: str, keys: Sequence[str]) -> Iterable[tuple]:
        """Rows of ``table`` for one model and many keys, in chunks SQLite's parameter limit allows."""
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(
                f"SELECT {key}, {columns} FROM {table} WHERE model = ? AND {key} IN ({marks})", [model, *chunk]
            )

    def get_vectors(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        rows = self._select("vector", "embeddings", "text_hash", model, hashes)
        return {text_hash: np.frombuffer(blob, dtype=np.float32) for text_hash, blob in rows}

    def put_vectors(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with self.db:  # one transaction: all or nothing
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings (model, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
                [(model, h, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for h, v in items],
            )

    def get_scores(self, model: str, hashes: Sequence[str]) -> dict[str, dict[str, float]]:
        rows = self._select("entailment, neutral, contradiction", "nli_scores", "pair_hash", model, hashes)
        return {h: {"entailment": e, "neutral": n, "contradiction": c} for h, e, n, c in rows}

    def put_scores(self, model: str, items: Iterable[tuple[str, dict[str, float]]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO nli_scores (model, pair_hash, entailment, neutral, contradiction) VALUES (?, ?, ?, ?, ?)",
                [(model, h, p["entailment"], p["neutral"], p["contradiction"]) for h, p in items],
            )

    def close(self) -> None:
        self.db.close()
