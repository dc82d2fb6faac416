"""Corrections learned in the app: a dictation edited in the history suggests the fix; the
same fix made again becomes a rule, saved in the settings file, and the next render of the
same words writes it."""

from __future__ import annotations

import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from app import paths
from app.dictation.finalize import finalize_raw
from app.storage import settings as settings_store
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.gui.conftest import MakeApp


def test_a_fix_made_twice_in_the_history_becomes_a_rule(
    qtbot: QtBot, make_app: MakeApp, engine: Engine, home: Path
) -> None:
    parts = make_app(
        backend=local_backend(engine),
        settings=Settings(sounds=False, first_run_done=True),
        name="learn",
    )
    history = parts.history
    assert history is not None
    try:
        for raw in ("Send the report to New Year.", "New Year called back."):
            history.add(raw, raw=raw, started_at=time.time(), duration_s=1.0,
                        backend="local", model="tiny")  # fmt: skip
        parts.actions.open_history()
        panel = parts.actions.panel
        assert panel is not None
        qtbot.waitUntil(lambda: len(panel.rows) == 2, timeout=10000)

        def correct(index: int) -> None:
            panel.list.setCurrentRow(index)
            with qtbot.waitSignal(panel.edited, timeout=10000):
                panel.edit_selected(panel.rows[index].text.replace("New Year", "Nguyen"))

        correct(0)
        assert parts.settings.current.corrections == [["new year", "Nguyen", 1]]
        assert "suggested" in panel.info.text()
        qtbot.waitUntil(lambda: len(panel.rows) == 2, timeout=10000)
        correct(1)
        assert ["new year", "Nguyen"] in parts.settings.current.rules
        assert parts.settings.current.corrections == []
        assert "is now written" in panel.info.text()
        qtbot.waitUntil(  # saved off the GUI thread
            lambda: ["new year", "Nguyen"] in settings_store.load(paths.config_dir()).rules,
            timeout=10000,
        )
        assert sorted(r.text for r in history.search()) == [
            "Nguyen called back.", "Send the report to Nguyen."
        ]  # fmt: skip
        words = parts.settings.current.words()
        assert finalize_raw("Call New Year today.", words).text == "Call Nguyen today."
    finally:
        parts.shutdown()
