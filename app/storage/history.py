"""Every dictation, saved the moment its final text is known: SQLite in WAL mode.

A row holds the text, when, how long, which backend and model, and whether it failed; the
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
    error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audio (
    dictation_id INTEGER PRIMARY KEY REFERENCES dictations(id) ON DELETE CASCADE,
    pcm BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dictations_started ON dictations(started_at);
"""


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
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the history at {path}: {exc}") from exc

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
    ) -> int:
        with self._lock:
            try:
                self._db.execute("BEGIN")
                cursor = self._db.execute(
                    "INSERT INTO dictations (started_at, duration_s, text, backend, model, "
                    "status, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (started_at, duration_s, text, backend, model, status, error),
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
        self, row: int, text: str, *, backend: str, model: str, status: str = "ok", error: str = ""
    ) -> None:
        self._write(
            "UPDATE dictations SET text=?, backend=?, model=?, status=?, error=? WHERE id=?",
            (text, backend, model, status, error, row),
        )

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
            "d.error, a.dictation_id IS NOT NULL FROM dictations d "
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
