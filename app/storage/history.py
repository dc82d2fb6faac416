"""Every dictation, saved the moment its final text is known: SQLite in WAL mode.

A row holds the text that was delivered, the raw recognizer text it came from (one segment
a line, so a rule change or Retry can render it again), the rendered text (after the user's
words: replacements, commands...), the language model's cleaned text when there was one
(and `note`: why cleanup was not used), when, how long, which backend and model, and
whether it failed; the audio (16 kHz mono s16le) sits in its own table so listing stays
fast, and is pruned after `audio_days`. A failed dictation keeps its audio so it can be
retried. Commits are durable (`synchronous=FULL`), so a crash right after a dictation loses
nothing. One connection, guarded by a lock, serves whichever background thread writes.

A history that cannot be written (a read-only or full disk, a folder that is not one) is
still opened, read-only, so the old dictations show; `problem` says why, with the folder.
A dictation that cannot be written is kept in memory (`pending`) and written, in order, at
the next `add` or `write_pending` that finds the history writable again.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.storage.history_rows import Dictation, export

__all__ = ["Dictation", "History", "HistoryError", "HistoryKept", "export"]

log = logging.getLogger(__name__)

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
    raw TEXT NOT NULL DEFAULT '',
    rendered TEXT NOT NULL DEFAULT '',
    cleaned TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audio (
    dictation_id INTEGER PRIMARY KEY REFERENCES dictations(id) ON DELETE CASCADE,
    pcm BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dictations_started ON dictations(started_at);
"""


# Schema versions (PRAGMA user_version): 0 had no `raw` column; 1 has it; 2 adds
# `rendered`, `cleaned` and `note` (cleanup by a language model).
SCHEMA_VERSION = 2


class HistoryError(RuntimeError):
    """The history could not be written (a full disk, a broken file): said in words."""


class HistoryKept(HistoryError):
    """The dictation could not be written now: it is kept in memory and written later."""


class History:
    def __init__(self, path: Path, *, audio_days: int = 30) -> None:
        self.path = path
        self.audio_days = audio_days
        self.problem = ""  # why the history cannot be written now, in words; "" when it can
        self.pending: list[dict[str, Any]] = []  # dictations kept until they can be written
        self._lock = threading.Lock()
        self._closed = False
        self._writable = True  # the connection is read-write (not the read-only fallback)
        self._columns: tuple[sqlite3.Connection, str] | None = None  # `_cleanup_columns`
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError) as exc:
            self.problem = self._why(exc)
            self._db, self._writable = self._open_to_read(), False
            log.warning("%s", self.problem)

    def _open(self) -> sqlite3.Connection:
        """The history for reading and writing, brought up to date; raises if it cannot be."""
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.executescript(SCHEMA)
            _migrate(db)
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _open_to_read(self) -> sqlite3.Connection:
        """The history as it is on disk, read-only: without its journal if that cannot be
        opened (the folder is read-only), else an empty one in memory."""
        for query in ("mode=ro", "mode=ro&immutable=1"):
            uri = f"{self.path.absolute().as_uri()}?{query}"
            try:
                db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            except sqlite3.Error:
                continue
            try:
                db.execute("SELECT raw FROM dictations LIMIT 1").fetchall()
            except sqlite3.Error:
                db.close()
                continue
            return db
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        db.executescript(SCHEMA)
        return db

    def _why(self, exc: BaseException) -> str:
        """`problem`: the folder, and the first reason found on disk, else SQLite's."""
        folder = self.path.parent
        return f"the history in {folder} cannot be written: {_unwritable(self.path) or exc}"

    def close(self) -> None:
        with self._lock:
            self._write_pending()  # a last try for what was kept in memory
            self._closed = True
            if self.pending:
                log.warning("%d dictation(s) could not be written to the history and are "
                            "lost: %s", len(self.pending), self.problem)  # fmt: skip
            self._db.close()

    def write_pending(self) -> int:
        """Try the history again: reopen it if it was read-only and write the dictations kept
        in memory. Returns how many were written; `problem` is "" once it is writable."""
        with self._lock:
            return self._write_pending()

    def _write_pending(self) -> int:
        if not self.problem or self._closed:
            return 0
        if not self._writable:
            try:
                db = self._open()
            except (sqlite3.Error, OSError) as exc:
                self.problem = self._why(exc)
                return 0
            self._db.close()
            self._db, self._writable = db, True
        written = 0
        try:
            while self.pending:
                self._insert(self.pending[0])
                self.pending.pop(0)
                written += 1
        except sqlite3.Error as exc:
            self.problem = self._why(exc)
            return written
        log.info("the history in %s can be written again; %d kept dictation(s) written",
                 self.path.parent, written)  # fmt: skip
        self.problem = ""
        return written

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        with self._lock:
            self._write_pending()
            if self.problem:
                raise HistoryError(self.problem)
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
        rendered: str = "",
        cleaned: str = "",
        note: str = "",
    ) -> int:
        """The new row's id; raises `HistoryKept` when it could not be written now."""
        row = {"text": text, "started_at": started_at, "duration_s": duration_s,
               "backend": backend, "model": model, "status": status, "error": error,
               "audio": audio, "raw": raw, "rendered": rendered or text,
               "cleaned": cleaned, "note": note}  # fmt: skip
        with self._lock:
            self._write_pending()
            if not self.problem:
                try:
                    return self._insert(row)
                except sqlite3.Error as exc:
                    self.problem = self._why(exc)
                    log.warning("%s", self.problem)
            self.pending.append(row)
            log.warning("a dictation is kept in memory (%d in all): %s",
                        len(self.pending), self.problem)  # fmt: skip
            raise HistoryKept(f"{self.problem}; this dictation is kept in memory and "
                              "written when it can be")  # fmt: skip

    def _insert(self, row: dict[str, Any]) -> int:
        """One dictation in one transaction (the lock held); raises `sqlite3.Error`."""
        try:
            self._db.execute("BEGIN")
            cursor = self._db.execute(
                "INSERT INTO dictations (started_at, duration_s, text, backend, model, "
                "status, error, raw, rendered, cleaned, note) VALUES (:started_at, "
                ":duration_s, :text, :backend, :model, :status, :error, :raw, :rendered, "
                ":cleaned, :note)",
                row,
            )
            number = int(cursor.lastrowid or 0)
            if row["audio"]:
                self._db.execute("INSERT INTO audio VALUES (?, ?)", (number, row["audio"]))
            self._db.execute("COMMIT")
        except sqlite3.Error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return number

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
        rendered: str | None = None,
        cleaned: str | None = None,
        note: str | None = None,
    ) -> None:
        self._write(
            "UPDATE dictations SET text=?, backend=?, model=?, status=?, error=?, "
            "raw=COALESCE(?, raw), rendered=COALESCE(?, rendered), "
            "cleaned=COALESCE(?, cleaned), note=COALESCE(?, note) WHERE id=?",
            (text, backend, model, status, error, raw, rendered, cleaned, note, row),
        )

    def set_cleaned(self, row: int, cleaned: str, note: str, *, deliver: bool) -> None:
        """A new cleanup of a row (history's *Clean again*): kept beside the rendered text;
        `deliver` makes it the row's text as well."""
        self._write(
            "UPDATE dictations SET cleaned=?, note=?, "
            "text=CASE WHEN ? AND ? != '' THEN ? ELSE text END WHERE id=?",
            (cleaned, note, deliver, cleaned, cleaned, row),
        )

    def set_delivered(self, row: int, which: str) -> None:
        """Which of the row's texts was delivered: "rendered" or "cleaned"."""
        column = {"rendered": "rendered", "cleaned": "cleaned"}[which]
        self._write(f"UPDATE dictations SET text={column} WHERE id=? AND {column} != ''", (row,))

    def rerender(self, render: Callable[[str], str]) -> int:
        """Render every row that kept its raw text again (after a rule change); returns
        how many rows' text changed. Rows from before raw text was kept are left as they
        are. A row whose text is neither its rendered nor its cleaned text was edited by
        the user: the edit stays, and only its rendered text is renewed; so is a row whose
        cleaned text was delivered."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, raw, text, rendered FROM dictations WHERE raw != ''"
            ).fetchall()
        changed, shown = [], 0
        for row, raw, text, stored in rows:
            new = render(raw)
            rendered = stored or text  # a row from before the rendered text was kept
            kept = text if text != rendered else new  # cleaned, or the user's edit: theirs
            if (new, kept) != (rendered, text):
                changed.append((new, kept, row))
                shown += kept != text
        for new, text, row in changed:
            self._write("UPDATE dictations SET rendered=?, text=? WHERE id=?", (new, text, row))
        return shown

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
            f"d.error, a.dictation_id IS NOT NULL, d.raw, {self._cleanup_columns()} "
            "FROM dictations d "
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
                rendered=row[10] or row[3],
                cleaned=row[11],
                note=row[12],
            )
            for row in rows
        ]

    def _cleanup_columns(self) -> str:
        """The columns of cleanup, or empty ones in an old history opened read-only; asked
        once per connection (they change only when the history is opened again)."""
        db = self._db
        if self._columns is None or self._columns[0] is not db:
            with self._lock:
                names = {row[1] for row in db.execute("PRAGMA table_info(dictations)")}
            found = {"rendered", "cleaned", "note"} <= names
            self._columns = (db, "d.rendered, d.cleaned, d.note" if found else "'', '', ''")
        return self._columns[1]

    def prune_audio(self, now: float | None = None) -> int:
        """Drop audio older than the retention limit (failed dictations keep theirs)."""
        cutoff = (now or time.time()) - self.audio_days * 86400
        with self._lock:
            if self.problem:
                return 0
            cursor = self._db.execute(
                "DELETE FROM audio WHERE dictation_id IN (SELECT id FROM dictations "
                "WHERE started_at < ? AND status = 'ok')",
                (cutoff,),
            )
            return cursor.rowcount


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a database written by an older version up to date, in place."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    columns = {row[1] for row in db.execute("PRAGMA table_info(dictations)")}
    for column in ("raw", "rendered", "cleaned", "note"):
        if column not in columns:
            db.execute(f"ALTER TABLE dictations ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _unwritable(path: Path) -> str:
    """Why the database at `path` cannot be written, as the file system says; "" if it
    seems it can (then SQLite's own message is the reason)."""
    folder = path.parent
    if not folder.is_dir():
        return f"{folder} is not a folder" if folder.exists() else f"{folder} does not exist"
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() or part.is_symlink():
            try:
                with part.open("r+b"):
                    pass
            except OSError as exc:
                return f"{part.name}: {exc.strerror or exc}"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
