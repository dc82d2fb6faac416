"""The tray's "Copy diagnostics" puts a report for a bug on the clipboard, keys masked."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app import paths
from app.backends import Backend
from app.main import copy_diagnostics
from app.platform import logfile
from app.storage.settings import Settings
from tests.gui.conftest import MakeApp


def test_copy_diagnostics_reports_backend_microphone_and_log(
    qtbot: QtBot, home: Path, make_app: MakeApp
) -> None:
    logfile.install(paths.state_dir())
    try:
        logfile.redact("secret-key-42")
        logging.getLogger("app.test").warning("connect failed with key secret-key-42")
        backend = Backend("custom", "openai/whisper-tiny.en", "ws://team:8765", "secret-key-42")
        parts = make_app(Settings(sounds=False, microphone="USB Mic"), backend=backend, name="diag")
        copy_diagnostics(parts)
        text = QGuiApplication.clipboard().text()
        assert "Backend: " + backend.describe() in text
        assert "Microphone: USB Mic" in text
        assert "connect failed with key ***" in text and "secret-key-42" not in text
        assert "Diagnostics copied" in parts.window.statusBar().currentMessage()
        parts.shutdown()
    finally:
        logfile.uninstall()
