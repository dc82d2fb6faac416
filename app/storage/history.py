"""Every dictation, saved the moment its final text is known: SQLite in WAL mode.

A row holds the text (after the user's words: replacements, commands...) and the raw
recognizer text it came from (one segment a line, so a rule change or Retry can render it
again), when, how long, which backend and model, and whether it failed; the
audio (16 kHz mono s16le) sits in its own table so listing stays fast, and is pruned after
`audio_days`. A failed dictation keeps its audio so it can be retried. Commits are durable
(`synchronous=FULL`), so a crash right after a dictation loses nothing. One connection,
guarded by a lock, serves whichever background thread writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS dictations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    duration_s REAL NOT NULL,
    text TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audio (
    dictation_id INTEGER PRIMARY KEY REFERENCES dictations(id) ON DELETE CASCADE,
    pcm BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dictations_started ON dictations(started_at);
"""


# Schema versions (PRAGMA user_version): 0 had no `raw` column; 1 has it.
SCHEMA_VERSION = 1


class HistoryError(RuntimeError):
    """The history could not be written (a full disk, a broken file): said in words."""


@dataclass(frozen=True)
class Dictation:
    id: int
    started_at: float
    duration_s: float
    text: str
    backend: str
    model: str
    status: str  # "ok" or "failed"
    error: str
    has_audio: bool
    raw: str = ""  # the recognizer's segments, one a line; "" in rows from before it was kept

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.started_at).strftime("%Y-%m-%d %H:%M")


class History:
    def __init__(self, path: Path, *, audio_days: int = 30) -> None:
        self.path = path
        self.audio_days = audio_days
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self._migrate()
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the history at {path}: {exc}") from exc

    def _migrate(self) -> None:
        """Bring a database written by an older version up to date, in place."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(dictations)")}
        if "raw" not in columns:
            self._db.execute("ALTER TABLE dictations ADD COLUMN raw TEXT NOT NULL DEFAULT ''")
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        with self._lock:
            try:
                cursor = self._db.execute(sql, args)
            except sqlite3.Error as exc:
                raise HistoryError(f"could not save to the history: {exc}") from exc
            return int(cursor.lastrowid or 0)

    def add(
        self,
        text: str,
        *,
        started_at: float,
        duration_s: float,
        backend: str,
        model: str,
        status: str = "ok",
        error: str = "",
        audio: bytes | None = None,
        raw: str = "",
    ) -> int:
        with self._lock:
            try:
                self._db.execute("BEGIN")
                cursor = self._db.execute(
                    "INSERT INTO dictations (started_at, duration_s, text, backend, model, "
                    "status, error, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (started_at, duration_s, text, backend, model, status, error, raw),
                )
                row = int(cursor.lastrowid or 0)
                if audio:
                    self._db.execute("INSERT INTO audio VALUES (?, ?)", (row, audio))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise HistoryError(f"could not save the dictation: {exc}") from exc
            return row

    def update(
        self,
        row: int,
        text: str,
        *,
        backend: str,
        model: str,
        status: str = "ok",
        error: str = "",
        raw: str | None = None,
    ) -> None:
        self._write(
            "UPDATE dictations SET text=?, backend=?, model=?, status=?, error=?, "
            "raw=COALESCE(?, raw) WHERE id=?",
            (text, backend, model, status, error, raw, row),
        )

    def rerender(self, render: Callable[[str], str]) -> int:
        """Render every row that kept its raw text again (after a rule change); returns
        how many rows changed. Rows from before raw text was kept are left as they are."""
        with self._lock:
            rows = self._db.execute("SELECT id, raw, text FROM dictations WHERE raw != ''")
            changed = [(render(raw), row) for row, raw, text in rows.fetchall()
                       if render(raw) != text]  # fmt: skip
        for text, row in changed:
            self._write("UPDATE dictations SET text=? WHERE id=?", (text, row))
        return len(changed)

    def delete(self, row: int) -> None:
        self._write("DELETE FROM dictations WHERE id=?", (row,))

    def get(self, row: int) -> Dictation | None:
        found = self._select("WHERE d.id = ?", (row,))
        return found[0] if found else None

    def audio(self, row: int) -> bytes | None:
        with self._lock:
            hit = self._db.execute("SELECT pcm FROM audio WHERE dictation_id=?", (row,)).fetchone()
        return bytes(hit[0]) if hit else None

    def search(self, query: str = "", limit: int = 500) -> list[Dictation]:
        if query:
            return self._select(
                "WHERE d.text LIKE ? ESCAPE '\\' ORDER BY d.started_at DESC LIMIT ?",
                (f"%{_escape(query)}%", limit),
            )
        return self._select("ORDER BY d.started_at DESC LIMIT ?", (limit,))

    def _select(self, tail: str, args: tuple[object, ...]) -> list[Dictation]:
        sql = (
            "SELECT d.id, d.started_at, d.duration_s, d.text, d.backend, d.model, d.status, "
            "d.error, a.dictation_id IS NOT NULL, d.raw FROM dictations d "
            f"LEFT JOIN audio a ON a.dictation_id = d.id {tail}"
        )
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [
            Dictation(
                id=row[0],
                started_at=row[1],
                duration_s=row[2],
                text=row[3],
                backend=row[4],
                model=row[5],
                status=row[6],
                error=row[7],
                has_audio=bool(row[8]),
                raw=row[9],
            )
            for row in rows
        ]

    def prune_audio(self, now: float | None = None) -> int:
        """Drop audio older than the retention limit (failed dictations keep theirs)."""
        cutoff = (now or time.time()) - self.audio_days * 86400
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM audio WHERE dictation_id IN (SELECT id FROM dictations "
                "WHERE started_at < ? AND status = 'ok')",
                (cutoff,),
            )
            return cursor.rowcount


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def export(items: list[Dictation], fmt: str) -> str:
    """`text`, `markdown` or `json`, oldest first."""
    ordered = sorted(items, key=lambda d: d.started_at)
    if fmt == "json":
        return json.dumps([asdict(d) for d in ordered], indent=2)
    if fmt == "markdown":
        parts = ["# Dictations", ""]
        for d in ordered:
            mark = " (failed)" if d.status != "ok" else ""
            parts += [f"## {d.when}{mark}", "", d.text or "_no text_", ""]
        return "\n".join(parts)
    if fmt == "text":
        return "\n\n".join(d.text for d in ordered if d.text) + "\n"
    raise ValueError(f"unknown export format {fmt!r}")
