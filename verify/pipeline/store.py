"""The incremental store (SQLite): the articles each input file gave (by the file's bytes and the ingest settings:
verify.ingest.filecache), articles by content hash, their claims, embeddings by (model, text
hash), NLI scores by (model revision, pair hash), pair verdicts by (model, decision key), runs, and the
register of the pairing states kept in files beside the database (``state_root``; their contents:
verify.pipeline.incremental).

Schema changes only through named, append-only migrations. Every write is one transaction and the
database runs in WAL mode, so a crash or Ctrl-C leaves it usable: at worst the last batch is missing."""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import sqlite3
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from verify.errors import ConfigError
from verify.extract.values import Quantity
from verify.records import Article, Claim, PairVerdict, TimeSpan, evidence_from_dict, evidence_to_dict, short_hash

log = logging.getLogger(__name__)

# Append-only: never edit a migration that has shipped, add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_embeddings",
        ("CREATE TABLE embeddings (model TEXT NOT NULL, text_hash TEXT NOT NULL, dim INTEGER NOT NULL,"
         " vector BLOB NOT NULL, PRIMARY KEY (model, text_hash))"),
    ),
    (
        "002_nli_scores",
        ("CREATE TABLE nli_scores (model TEXT NOT NULL, pair_hash TEXT NOT NULL, entailment REAL NOT NULL,"
         " neutral REAL NOT NULL, contradiction REAL NOT NULL, PRIMARY KEY (model, pair_hash))"),
    ),
    (
        "003_articles",
        ("CREATE TABLE articles (content_hash TEXT PRIMARY KEY, id TEXT NOT NULL, path TEXT NOT NULL,"
         " source TEXT NOT NULL, title TEXT, date TEXT, first_seen TEXT DEFAULT CURRENT_TIMESTAMP)"),
    ),
    (
        "004_claims",
        ("CREATE TABLE claims (content_hash TEXT NOT NULL, extractor TEXT NOT NULL, claims TEXT NOT NULL,"
         " PRIMARY KEY (content_hash, extractor))"),
    ),
    (
        "005_runs",
        ("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT DEFAULT CURRENT_TIMESTAMP,"
         " finished TEXT, status TEXT NOT NULL DEFAULT 'running', verify_version TEXT, settings TEXT,"
         " counts TEXT, timings TEXT)"),
    ),
    (
        "006_verdicts",
        ("CREATE TABLE verdicts (model TEXT NOT NULL, pair_hash TEXT NOT NULL, rules TEXT NOT NULL,"
         " run_id INTEGER NOT NULL, claim_a TEXT NOT NULL, claim_b TEXT NOT NULL, verdict TEXT NOT NULL,"
         " confidence REAL NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (model, pair_hash, rules))"),
    ),
    ("007_verdict_conflicts", "ALTER TABLE verdicts ADD COLUMN conflicts TEXT NOT NULL DEFAULT '[]'"),
    ("008_run_pid", "ALTER TABLE runs ADD COLUMN pid INTEGER"),
    ("009_run_host", "ALTER TABLE runs ADD COLUMN host TEXT"),
    (
        "010_pair_states",
        ("CREATE TABLE pair_states (id TEXT PRIMARY KEY, key TEXT NOT NULL, generation TEXT NOT NULL,"
         " articles TEXT NOT NULL, claims INTEGER NOT NULL, files TEXT NOT NULL, used TEXT DEFAULT CURRENT_TIMESTAMP)"),
    ),
    (
        "011_ingest_files",
        ("CREATE TABLE ingest_files (key TEXT PRIMARY KEY, file TEXT NOT NULL, data BLOB NOT NULL,"
         " stored TEXT DEFAULT CURRENT_TIMESTAMP)"),
    ),
    ("012_ingest_files_by_file", "CREATE INDEX ingest_files_by_file ON ingest_files (file)"),
    (
        "013_claim_lines",
        ("CREATE TABLE claim_lines (content_hash TEXT NOT NULL, extractor TEXT NOT NULL, report TEXT NOT NULL,"
         " lines BLOB NOT NULL, lengths BLOB NOT NULL, PRIMARY KEY (content_hash, extractor, report))"),
    ),
    ("014_claim_lines_dropped", "DROP TABLE claim_lines"),  # a cache: made again, with the claims' columns
    (
        "015_claim_lines_with_columns",
        ("CREATE TABLE claim_lines (content_hash TEXT NOT NULL, extractor TEXT NOT NULL, report TEXT NOT NULL,"
         " lines BLOB NOT NULL, lengths BLOB NOT NULL, ids TEXT NOT NULL, rebuts TEXT NOT NULL, facts TEXT NOT NULL,"
         " PRIMARY KEY (content_hash, extractor, report))"),
    ),
]
STALE_AFTER_HOURS = 24  # a run of another machine still "running" after this long is marked stale
TABLES = ("articles", "claims", "claim_lines", "embeddings", "nli_scores", "verdicts", "runs", "pair_states",
          "ingest_files")


@dataclass(frozen=True)
class ClaimLines:
    """What the store keeps of an article's claims for a report schema: their lines of ``report.json``, each followed
    by the report's separator (``lines``), each line's length, the claims' ids, rebuttal links by position and
    entries of the shared facts (entity, value, position)."""

    lines: bytes
    lengths: np.ndarray
    ids: list[str]
    rebuts: dict[int, str]
    facts: list[tuple[str, str, int]]


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # not tied to its thread: the store is used by one thread at a time, but the collector may free it (and
            # close it) on any thread that happens to allocate - a run's state reader, its report writer
            self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            # closed (its WAL written back into the file) when the store is freed or, at the latest, as the process
            # exits - also where the CLI leaves the run's objects to the exit unfreed (verify.cli.app.main)
            self._closer = weakref.finalize(self, self.db.close)
            if str(path) != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint, never corrupt
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{path}: not a usable verify store ({exc}); pass another --store PATH") from None

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

    def _select(self, columns: str, table: str, key: str, model: str, keys: Sequence[str],
                model_column: str = "model") -> Iterable[tuple]:
        """Rows of ``table`` for one model and many keys, in chunks SQLite's parameter limit allows."""
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(
                f"SELECT {key}, {columns} FROM {table} WHERE {model_column} = ? AND {key} IN ({marks})", [model, *chunk]
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

    # articles and claims -------------------------------------------------------------------------
    def put_articles(self, articles: Sequence[Article]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO articles (content_hash, id, path, source, title, date) VALUES (?, ?, ?, ?, ?, ?)",
                [(article_key(a), a.id, _sql_text(a.path), _sql_text(a.source), _sql_text(a.title), a.date)
                 for a in articles],
            )

    def get_claims(self, extractor: str, keys: Sequence[str]) -> dict[str, list[Claim]]:
        return {key: claims_from_json(blob) for key, blob in self.get_claim_rows(extractor, keys).items()}

    def get_claim_rows(self, extractor: str, keys: Sequence[str]) -> dict[str, str]:
        """Per article key, its claims as stored (JSON, not decoded: ``claims_from_json`` decodes them)."""
        return dict(self._select("claims", "claims", "content_hash", extractor, keys, model_column="extractor"))

    def put_claims(self, extractor: str, items: Iterable[tuple[str, Sequence[Claim]]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO claims (content_hash, extractor, claims) VALUES (?, ?, ?)",
                [(key, extractor, json.dumps([claim_row(c) for c in claims])) for key, claims in items],
            )

    def get_claim_lines(self, extractor: str, report: str, keys: Sequence[str]) -> dict[str, ClaimLines]:
        """Per article key, what ``put_claim_lines`` stored for its claims under report version ``report``."""
        rows = self._select("lines, lengths, ids, rebuts, facts", "claim_lines", "content_hash",
                            f"{extractor}\x00{report}", keys, model_column="extractor || char(0) || report")
        out = {}
        for key, lines, lengths, ids, rebuts, facts in rows:
            sizes = np.frombuffer(lengths, dtype=np.int64)
            out[key] = ClaimLines(lines, sizes, ids.split("\n") if sizes.size else [],
                                  {int(n): link for n, link in json.loads(rebuts)},
                                  [(e, v, int(n)) for e, v, n in json.loads(facts)])
        return out

    def put_claim_lines(self, extractor: str, report: str, items: Iterable[tuple[str, ClaimLines]]) -> None:
        """Store (article key, ClaimLines) items; a store that cannot be written to keeps what it has (they are
        made again next time)."""
        try:
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO claim_lines (content_hash, extractor, report, lines, lengths, ids, rebuts,"
                    " facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(key, extractor, report, x.lines, np.asarray(x.lengths, dtype=np.int64).tobytes(), "\n".join(x.ids),
                      json.dumps(sorted(x.rebuts.items())), json.dumps(x.facts)) for key, x in items])
        except sqlite3.DatabaseError as exc:
            log.warning("%s: claims' report lines not stored (%s)", self.path, exc)

    # ingest cache: one entry per input file (its layout and keys: verify.ingest.filecache) ---------------
    def get_ingest(self, key: str) -> bytes | None:
        """The ingest entry stored under ``key``; None when there is none (or the database cannot be read)."""
        try:
            row = self.db.execute("SELECT data FROM ingest_files WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:  # the cache is optional: the file is read again
            log.debug("ingest cache not read (%s)", exc)
            return None
        return row[0] if row else None

    def put_ingest(self, items: Sequence[tuple[str, str, bytes]]) -> None:
        """Store (file id, key, entry) items; a file's older entry (the file changed, or the settings) is replaced,
        so the table holds one entry per file. A store that cannot be written to keeps what it has."""
        try:
            with self.db:
                self.db.executemany("DELETE FROM ingest_files WHERE file = ? AND key != ?",
                                    [(file, key) for file, key, _ in items])
                self.db.executemany("INSERT OR REPLACE INTO ingest_files (key, file, data) VALUES (?, ?, ?)",
                                    [(key, file, data) for file, key, data in items])
        except sqlite3.DatabaseError as exc:  # locked, read-only, full: the next run reads the files again
            log.warning("%s: ingest cache not written (%s)", self.path, exc)

    # runs and verdicts -----------------------------------------------------------------------------
    def start_run(self, version: str, settings: dict[str, Any]) -> int:
        self.mark_stale_runs()
        with self.db:
            cur = self.db.execute("INSERT INTO runs (verify_version, settings, pid, host) VALUES (?, ?, ?, ?)",
                                  (version, json.dumps(settings, sort_keys=True), os.getpid(), socket.gethostname()))
        return int(cur.lastrowid or 0)

    def mark_stale_runs(self) -> int:
        """Runs left ``running`` by a process that is gone (SIGKILL, a power cut) become ``stale``: on this
        host when their process no longer exists, elsewhere after STALE_AFTER_HOURS. Returns how many."""
        host = socket.gethostname()
        rows = self.db.execute(
            "SELECT id, pid, host, (julianday('now') - julianday(started)) * 24 FROM runs WHERE status = 'running'"
        ).fetchall()
        stale = [run_id for run_id, pid, run_host, hours in rows
                 if (run_host == host and pid and not _alive(pid)) or (hours or 0) > STALE_AFTER_HOURS]
        if stale:
            with self.db:
                self.db.executemany("UPDATE runs SET status = 'stale' WHERE id = ? AND status = 'running'",
                                    [(run_id,) for run_id in stale])
        return len(stale)

    def finish_run(self, run_id: int, status: str, counts: dict | None = None, timings: dict | None = None) -> None:
        with self.db:
            self.db.execute(
                "UPDATE runs SET finished = CURRENT_TIMESTAMP, status = ?, counts = ?, timings = ? WHERE id = ?",
                (status, json.dumps(counts or {}), json.dumps(timings or {}), run_id),
            )

    def put_verdicts(self, run_id: int, model: str, rules: str, items: Iterable[tuple[str, PairVerdict]]) -> None:
        """Verdicts by decision key (verify.verdict.aggregate.decision_key, which already covers the rules)."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO verdicts (model, pair_hash, rules, run_id, claim_a, claim_b, verdict,"
                " confidence, reason, conflicts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(model, key, rules, run_id, v.pair.a.id, v.pair.b.id, v.verdict, v.confidence, v.reason,
                  _decision_json(v)) for key, v in items],
            )

    def get_verdicts(self, model: str, keys: Sequence[str]) -> dict[str, tuple]:
        """(verdict, confidence, reason, conflicts, rule, evidence) by decision key."""
        rows = self._select("verdict, confidence, reason, conflicts", "verdicts", "pair_hash", model, keys)
        return {key: (verdict, confidence, reason, *_decision_from_json(blob))
                for key, verdict, confidence, reason, blob in rows}

    # pairing states ----------------------------------------------------------------------------------
    def state_root(self) -> Path | None:
        """The folder beside the database that holds the pairing states' files (None for an in-memory store)."""
        return None if str(self.path) == ":memory:" else self.path.with_name(self.path.name + ".states")

    def pair_states(self, key: str | None = None) -> list[dict[str, Any]]:
        """The registered states (of one key when given), most recently used first: id, key, generation,
        articles (their article keys), claims and files ({name: [size, crc32]})."""
        sql = "SELECT id, key, generation, articles, claims, files FROM pair_states"
        rows = self.db.execute(sql + (" WHERE key = ?" if key else "") + " ORDER BY used DESC, rowid DESC",
                               (key,) if key else ()).fetchall()
        names = ("id", "key", "generation", "articles", "claims", "files")
        return [{n: (json.loads(v) if n in ("articles", "files") else v) for n, v in zip(names, row)} for row in rows]

    def put_pair_state(self, state_id: str, key: str, generation: str, articles: Sequence[str], claims: int,
                       files: dict[str, list[int]]) -> None:
        """Register (or move on) a state: its files in ``state_root()/state_id/generation`` are complete."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO pair_states (id, key, generation, articles, claims, files, used)"
                " VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (state_id, key, generation, json.dumps(sorted(articles)), claims, json.dumps(files)),
            )

    def drop_pair_state(self, state_id: str, generation: str | None = None) -> None:
        """Unregister a state (only while it is at ``generation``, when given)."""
        with self.db:
            self.db.execute("DELETE FROM pair_states WHERE id = ? AND generation = coalesce(?, generation)",
                            (state_id, generation))

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        self.mark_stale_runs()
        cur = self.db.execute("SELECT id, started, finished, status, verify_version, counts, timings FROM runs"
                              " ORDER BY id DESC LIMIT ?", (limit,))
        keys = ("id", "started", "finished", "status", "verify_version", "counts", "timings")
        return [{k: (json.loads(v) if k in ("counts", "timings") and v else v) for k, v in zip(keys, row)} for row in cur]

    def counts(self) -> dict[str, int]:
        return {t: int(self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}

    def close(self) -> None:
        self._closer()


def _sql_text(value: str | None) -> str | None:
    """Text SQLite can store: lone surrogates (from undecodable file names) become U+FFFD."""
    return value.encode("utf-8", errors="replace").decode("utf-8") if value is not None else None


def _alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (signal 0 checks without sending anything)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but belongs to someone else, or cannot be asked: not provably gone
    return True


def _decision_json(v: PairVerdict) -> str:
    """The ``conflicts`` column holds the deciding rule and its typed evidence too (no migration needed):
    {"conflicts": [...], "rule": "value-conflict", "evidence": [{"type": "conflict", ...}]}."""
    return json.dumps({"conflicts": list(v.conflicts), "rule": v.rule,
                       "evidence": [evidence_to_dict(e) for e in v.evidence]})


def _decision_from_json(blob: str) -> tuple[tuple[str, ...], str, tuple]:
    data = json.loads(blob)
    if isinstance(data, list):  # rows written before rules and evidence were stored
        return tuple(data), "", ()
    return tuple(data["conflicts"]), data["rule"], tuple(evidence_from_dict(e) for e in data["evidence"])


def article_key(article: Article) -> str:
    """What a stored article's claims depend on: its text as read, outlet, date and cleaned text."""
    return short_hash(article.id, article.source, article.date or "", article.text, size=12)


_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))  # a row's layout (claim_from_row spells it out)


def claim_row(claim: Claim) -> list[Any]:
    """A claim as a JSON row: its fields in order, records as rows (an open upper bound as null). Rows decode in
    about half the time of ``asdict``'s objects; their layout is that of records.py, whose version (verify.extract)
    is part of the key the claims are stored under, so a row is never read with other fields."""
    row: list[Any] = []
    for name in _CLAIM_FIELDS:
        value = getattr(claim, name)
        if name == "time":
            value = [value.start, value.end, value.text, value.precision] if value else None
        elif name == "quantities":
            value = [[q.low, None if math.isinf(q.high) else q.high, q.unit, q.approx, q.text, q.kind] for q in value]
        row.append(list(value) if isinstance(value, tuple) else value)
    return row


def claim_from_row(row: list[Any]) -> Claim:
    """The claim of a ``claim_row``: the fields unpacked by name (a run at 100k claims decodes all of them)."""
    (claim_id, article_id, source, text, standalone, span, attribution, entities, numbers, dates, index, rebuts, time,
     entity_types, quantities) = row
    return Claim(claim_id, article_id, source, text, standalone, (span[0], span[1]), attribution, tuple(entities),
                 tuple(numbers), tuple(dates), index, rebuts, TimeSpan(*time) if time else None, tuple(entity_types),
                 tuple(Quantity(low, math.inf if high is None else high, *rest) for low, high, *rest in quantities))


def claims_from_json(blob: str) -> list[Claim]:
    """An article's claims as ``Store.put_claims`` stored them."""
    return [claim_from_row(c) if isinstance(c, list) else claim_from_dict(c) for c in json.loads(blob)]


def claim_from_dict(d: dict[str, Any]) -> Claim:
    """Inverse of dataclasses.asdict for a Claim (lists back to tuples, the time span back to a record)."""
    time = d.get("time")
    return Claim(**{
        **d, "span": tuple(d["span"]), "entities": tuple(d["entities"]),
        "entity_types": tuple(d.get("entity_types", ())), "numbers": tuple(d["numbers"]),
        "dates": tuple(d["dates"]), "time": TimeSpan(**time) if time else None,
    })
