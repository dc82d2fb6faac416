"""Nothing waits on the GUI thread: a QTimer heartbeat every 5 ms must never see a stall
(`STALL_MS`) while the backend switches (an engine loading, the old one stopping) or while the
history of 10,000 dictations is searched key by key; and the search runs once per pause in
typing, the newest query winning. Also hands-free auto-stop and notices with a lifetime."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.audio.capture import SILENT
from app.audio.files import FileSource
from app.core.notices import MICROPHONE_SILENT, Notice
from app.main import Parts
from app.storage.settings import Settings
from app.ui.main_window import MainWindow
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.gui.conftest import MakeApp
from tests.heartbeat import STALL_MS, heartbeat
from tests.speech import pcm, silence
from tests.virtual_mic import VirtualMic
from tests.wire import RawSession


def custom_app(make_app: MakeApp, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Parts:
    monkeypatch.setenv("DICTATE_API_KEY", engine.token)  # no keyring needed for the custom key
    settings = Settings(sounds=False, overlay=False, backend="custom", custom_url=engine.url,
                        first_run_done=True)  # fmt: skip
    return make_app(settings, source=lambda: FileSource(pcm("fox")), name="beat")


def test_switching_the_backend_never_blocks_the_gui_thread(
    qtbot: QtBot, home: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, make_app: MakeApp
) -> None:
    parts = custom_app(make_app, engine, monkeypatch)
    try:
        assert parts.controller.backend.name == "custom"
        with heartbeat() as gaps:
            parts.actions.open_settings()  # the device list and the keyring, off the thread
            qtbot.waitUntil(lambda: parts.actions.dialog is not None, timeout=10000)
            assert parts.actions.dialog is not None
            parts.actions.dialog.reject()
            edited = parts.settings.edit()
            edited.backend = "local"  # the embedded engine starts and loads its model
            parts.actions.apply(edited)
            qtbot.waitUntil(lambda: parts.controller.backend.name == "local", timeout=30000)
            local = parts.controller.backend
            qtbot.waitUntil(lambda: bool(local.engine and local.engine.server.registry.loaded(
                local.model)), timeout=120000)  # fmt: skip
            local.wait_ready(5)
            user = RawSession(local.url, local.api_key)  # a session the engine must drain
            user.stream(pcm("five"), pace=None)
            edited = parts.settings.edit()
            edited.backend = "custom"  # ...and stops again, in the background
            parts.actions.apply(edited)
            qtbot.waitUntil(lambda: parts.controller.backend.name == "custom", timeout=30000)
            qtbot.waitUntil(lambda: local.engine is None, timeout=30000)  # stopped
            user.close()
        assert len(gaps) > 50
        assert max(gaps) < STALL_MS, f"the GUI thread stalled for {max(gaps)} ms"
    finally:
        parts.shutdown()


def test_searching_ten_thousand_dictations_never_blocks_and_the_newest_query_wins(
    qtbot: QtBot, home: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, make_app: MakeApp
) -> None:
    parts = custom_app(make_app, engine, monkeypatch)
    history = parts.history
    assert history is not None
    try:
        words = ["weather", "meeting", "invoice", "holiday", "budget"]
        rows = [
            (1.7e9 + n, 2.0, f"note {n} about the {words[n % 5]} number {n * 7}", "custom", "m")
            for n in range(10_000)
        ]
        with contextlib.closing(sqlite3.connect(history.path)) as db, db:  # one transaction
            db.executemany(
                "INSERT INTO dictations (started_at, duration_s, text, backend, model, status)"
                " VALUES (?, ?, ?, ?, ?, 'ok')",
                rows,
            )
        parts.actions.open_history()
        panel = parts.actions.panel
        assert panel is not None
        qtbot.waitUntil(lambda: panel.list.count() > 0, timeout=10000)
        before = panel.searches
        with heartbeat() as gaps:
            QTest.keyClicks(panel.search, "budget number 34", delay=20)
            qtbot.waitUntil(lambda: panel.info.text() != "" and all(
                "budget number 34" in panel.list.item(i).text()
                for i in range(panel.list.count())), timeout=10000)  # fmt: skip
        assert panel.list.count() > 0
        assert panel.searches - before <= 3, "a search per keystroke"
        assert max(gaps) < STALL_MS, f"the GUI thread stalled for {max(gaps)} ms"
    finally:
        parts.shutdown()


def test_a_toggled_dictation_stops_itself_after_the_silence_limit(
    qtbot: QtBot, home: Path, engine: Engine, make_app: MakeApp
) -> None:
    speech = pcm("fox") + silence(30)
    parts = make_app(
        Settings(sounds=False, overlay=False, auto_stop_s=2, first_run_done=True),
        source=lambda: FileSource(speech),
        name="stop",
        backend=local_backend(engine),
    )
    try:
        started = time.monotonic()
        with qtbot.waitSignal(parts.controller.finished, timeout=30000) as finished:
            parts.controller.toggle()  # hands-free: nobody presses again
        assert "lazy" in finished.args[0]
        assert time.monotonic() - started < 12  # the speech (3 s) and 2 s of silence, not 30
        assert "without speech" in parts.window.notice_text()
        # Held (not toggled), the same silence never stops a dictation.
        parts.controller.press()
        qtbot.waitUntil(lambda: parts.controller.phase.value == "listening", timeout=20000)
        with qtbot.assertNotEmitted(parts.controller.auto_stopped, wait=4000):
            pass
        with qtbot.waitSignal(parts.controller.finished, timeout=30000):
            parts.controller.release()
    finally:
        parts.shutdown()


def test_a_notice_lasts_as_long_as_its_cause_and_never_hides_a_newer_one(
    qtbot: QtBot,
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.on_notice(Notice(SILENT, MICROPHONE_SILENT))
    assert window.notice_text() == SILENT
    window.say("settings saved")  # newer: shown
    assert window.notice_text() == "settings saved"
    window.on_notice_ended(MICROPHONE_SILENT)  # the old cause ends: the newer one stays
    assert window.notice_text() == "settings saved"
    window.on_notice(Notice(SILENT, MICROPHONE_SILENT))
    window.on_notice_ended(MICROPHONE_SILENT)
    assert window.notice_text() == ""


def test_the_silent_microphone_warning_goes_when_speech_arrives(
    qtbot: QtBot, home: Path, engine: Engine, mic: VirtualMic, make_app: MakeApp
) -> None:
    parts = make_app(
        Settings(sounds=False, overlay=False, first_run_done=True),
        name="silent",
        backend=local_backend(engine),
    )
    try:
        parts.controller.press()  # the virtual microphone delivers exact zeros until it speaks
        qtbot.waitUntil(lambda: parts.window.notice_text() == SILENT, timeout=20000)
        mic.play(pcm("fox"))
        qtbot.waitUntil(lambda: parts.window.notice_text() != SILENT, timeout=10000)
        assert parts.controller.phase.value == "listening"
        with qtbot.waitSignal(parts.controller.finished, timeout=60000):
            parts.controller.release()
    finally:
        parts.shutdown()
