"""Every dictation stays one click away though the clipboard is left to the user: the tray's
"Copy last dictation" (and `dictate ptt copy-last`, the same command) copies the newest one,
from the history after a restart."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QIcon
from pytestqt.qtbot import QtBot

from app.backends import Backend
from app.storage.settings import Settings
from app.ui.tray import Tray
from tests.gui.conftest import MakeApp


def test_copy_last_dictation_from_the_tray_and_from_the_history(
    qtbot: QtBot, home: Path, make_app: MakeApp
) -> None:
    QGuiApplication.clipboard().setText("what the user had copied")
    backend = Backend("custom", "openai/whisper-tiny.en", "ws://team:8765", "")
    parts = make_app(Settings(sounds=False), backend=backend, name="copy")
    try:
        assert parts.settings.current.auto_copy is False  # the default leaves the clipboard
        parts.instance.command.emit("copy-last")
        assert "No dictation to copy yet" in parts.window.statusBar().currentMessage()
        assert QGuiApplication.clipboard().text() == "what the user had copied"

        assert parts.history is not None
        now = time.time()
        for at, text in ((now - 60, "An older one."), (now - 30, "The newest one.")):
            parts.history.add(text, started_at=at, duration_s=1.0, backend="local", model="tiny")
        parts.instance.command.emit("copy-last")  # nothing dictated in this run: the history's
        assert QGuiApplication.clipboard().text() == "The newest one."

        parts.controller.finished.emit("Just now.", 3)
        if parts.tray is not None:
            parts.tray.copy_last.trigger()
        else:  # no tray here (offscreen): the same command, and the tray's action on its own
            parts.instance.command.emit("copy-last")
            tray = Tray(QIcon())
            with qtbot.waitSignal(tray.copy_last_requested, timeout=1000):
                tray.copy_last.trigger()
        assert QGuiApplication.clipboard().text() == "Just now."
        assert "Last dictation copied" in parts.window.statusBar().currentMessage()
    finally:
        parts.shutdown()
