"""The history keeps raw and rendered text; databases from before still open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.core.text import raw_text, render, segments_of
from app.core.words import Rule, Words
from app.storage.history import History, export

OLD_SCHEMA = """
CREATE TABLE dictations (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL,
    duration_s REAL NOT NULL, text TEXT NOT NULL, backend TEXT NOT NULL, model TEXT NOT NULL,
    status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '');
CREATE TABLE audio (dictation_id INTEGER PRIMARY KEY REFERENCES dictations(id)
    ON DELETE CASCADE, pcm BLOB NOT NULL);
INSERT INTO dictations (started_at, duration_s, text, backend, model, status)
    VALUES (1.0, 2.0, 'an old dictation', 'local', 'tiny', 'ok');
"""


def test_an_old_database_opens_and_gains_the_raw_column(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    history = History(path)
    old = history.search()
    assert [(d.text, d.raw) for d in old] == [("an old dictation", "")]
    segments = ["I use dictate ai.", "New paragraph.", "Wrong.", "Scratch that."]
    words = Words(rules=(Rule("dictate ai", "Dictate AI"),))
    row = history.add(render(segments, words), raw=raw_text(segments), started_at=2.0,
                      duration_s=1.0, backend="local", model="tiny")  # fmt: skip
    history.close()

    reopened = History(path)
    new = reopened.get(row)
    assert new is not None and new.text == "I use Dictate AI.\n\n"
    assert segments_of(new.raw) == segments
    # A rule change renders every dictation with raw text again; old rows stay as they were.
    changed = Words(rules=(Rule("dictate ai", "Dictate, the app"),), commands=False)
    assert reopened.rerender(lambda raw: render(segments_of(raw), changed)) == 1
    again = reopened.get(row)
    assert again is not None
    assert again.text == "I use Dictate, the app. New paragraph. Wrong. Scratch that."
    assert export(reopened.search(), "text").startswith("an old dictation\n\nI use Dictate,")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2  # raw; then cleanup's
        columns = {row[1] for row in db.execute("PRAGMA table_info(dictations)")}
        assert {"raw", "rendered", "cleaned", "note"} <= columns
    reopened.close()


def test_applying_your_words_again_keeps_a_dictation_you_edited_by_hand(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite3")
    segments = ["I use dictate ai."]
    words = Words(rules=(Rule("dictate ai", "Dictate AI"),))
    untouched, edited = (
        history.add(render(segments, words), raw=raw_text(segments), started_at=1.0,
                    duration_s=1.0, backend="local", model="tiny")
        for _ in range(2)
    )  # fmt: skip
    history.update(edited, "I use Dictate AI every day.", backend="local", model="tiny")
    changed = Words(rules=(Rule("dictate ai", "Dictate, the app"),))
    assert history.rerender(lambda raw: render(segments_of(raw), changed)) == 1
    fresh, mine = history.get(untouched), history.get(edited)
    assert fresh is not None and fresh.text == "I use Dictate, the app."
    assert mine is not None and mine.text == "I use Dictate AI every day."  # the edit stays
    assert mine.rendered == "I use Dictate, the app."  # what the words make of it now
    history.close()
