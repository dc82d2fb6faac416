"""The desktop app, offscreen, with the real engine: press, speak (from a file), release.

The audio comes from a `FileSource` paced at real time, so partial text has to appear while
it flows, exactly as with a microphone.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.audio.files import FileSource
from app.core.errors import Fix
from app.dictation.run import BackendReady, Source
from app.main import Parts
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.gui.conftest import MakeApp
from tests.heartbeat import STALL_MS, heartbeat
from tests.speech import TEXTS, pcm, silence, wer


def speech_factory(audio: bytes) -> Callable[[], Source]:
    def make() -> Source:
        return FileSource(audio, frame_ms=20, realtime=True)

    return make


def speaking_app(
    make_app: MakeApp, engine: Engine, audio: bytes, *, token: str | None = None, name: str = "t"
) -> Parts:
    """The app on the suite's engine (with `token` as its key), shown, hearing `audio`."""
    settings = Settings(sounds=False, history_audio=True)
    backend = local_backend(engine, token)
    return make_app(settings, source=speech_factory(audio), backend=backend, name=name, show=True)


@pytest.fixture
def app_parts(make_app: MakeApp, engine: Engine, home: Path) -> Parts:
    return speaking_app(make_app, engine, pcm("five") + silence(0.6))


def dictate_once(
    qtbot: QtBot, parts: Parts, press: Callable[[], None], release: Callable[[], None]
) -> str:
    window, controller = parts.window, parts.controller
    with qtbot.waitSignal(controller.phase_changed, timeout=10000):
        press()
    # Partial text shows up while the audio is still flowing.
    qtbot.waitUntil(lambda: bool(window.transcript.all_text().strip()), timeout=15000)
    assert controller.phase.value in ("connecting", "listening")
    qtbot.waitUntil(lambda: controller.phase.value == "listening", timeout=10000)
    run = controller._run
    assert run is not None and isinstance(run.source, FileSource)
    source: FileSource = run.source
    qtbot.waitUntil(lambda: source.wait(0), timeout=20000)  # the whole file was spoken
    with qtbot.waitSignal(controller.finished, timeout=30000) as finished:
        release()
    text: str = finished.args[0]
    return text


def test_hold_speak_release_gives_text_in_pane_clipboard_and_history(
    qtbot: QtBot, app_parts: Parts
) -> None:
    window = app_parts.window
    text = dictate_once(qtbot, app_parts, window.talk.pressed.emit, window.talk.released.emit)
    assert wer(TEXTS["five"], text) <= 0.3
    assert window.transcript.all_text().strip() == text
    assert not window.transcript.isReadOnly()
    # No app took the text here (no desktop): it is copied, and said so.
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == text, timeout=10000)
    assert app_parts.history is not None
    rows = app_parts.history.search()
    assert len(rows) == 1 and rows[0].text == text and rows[0].status == "ok"
    assert rows[0].has_audio and app_parts.controller.phase.value == "idle"


def test_dictate_ptt_commands_drive_the_running_app(qtbot: QtBot, app_parts: Parts) -> None:
    name = app_parts.instance.server.serverName()

    def ptt(action: str) -> None:
        code = (
            "import sys; from app.platform.single_instance import send_command;"
            f"sys.exit(0 if send_command({name!r}, {action!r}) else 1)"
        )
        proc = subprocess.Popen([sys.executable, "-c", code])
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10000)
        assert proc.returncode == 0

    text = dictate_once(qtbot, app_parts, lambda: ptt("start"), lambda: ptt("stop"))
    assert wer(TEXTS["five"], text) <= 0.3
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == text, timeout=10000)


def test_the_gui_thread_never_stalls_during_a_dictation(qtbot: QtBot, app_parts: Parts) -> None:
    window = app_parts.window
    with heartbeat() as gaps:
        dictate_once(qtbot, app_parts, window.talk.pressed.emit, window.talk.released.emit)
    assert len(gaps) > 200
    print(f"longest gap {max(gaps)} ms")
    # Work done on the GUI thread (a join, a device query, a keyring read, xdotool) shows as
    # a gap; all of it runs on workers now, so 100 ms is the bound, as for the other actions.
    assert max(gaps) < STALL_MS, f"the GUI thread stalled for {max(gaps)} ms"


def test_a_wrong_key_offers_the_key_action_and_keeps_the_audio(
    qtbot: QtBot, engine: Engine, home: Path, make_app: MakeApp
) -> None:
    parts = speaking_app(make_app, engine, pcm("fox"), token="wrong", name="key")
    window = parts.window
    with qtbot.waitSignal(parts.controller.problem, timeout=20000) as problem:
        window.talk.pressed.emit()
        # Refused: said at once, and the microphone goes on until the release.
        qtbot.waitUntil(lambda: "still recording" in window.notice_text(), timeout=20000)
        assert parts.controller.phase.value == "listening"
        window.talk.released.emit()
    message, action = problem.args
    assert "API key" in message and action is Fix.SET_KEY
    qtbot.waitUntil(lambda: parts.controller.phase.value == "error", timeout=20000)
    assert window.banner.isVisible() and window.banner_action.text() == "Set API key..."
    assert parts.history is not None
    rows = parts.history.search()
    assert rows and rows[0].status == "failed" and rows[0].has_audio


def test_the_status_line_names_the_engine_once_it_has_started(
    qtbot: QtBot, engine: Engine, home: Path, make_app: MakeApp
) -> None:
    parts = speaking_app(make_app, engine, silence(0.1))
    address = parts.backend.url
    parts.backend.url = ""  # as while the embedded engine loads its model
    parts.controller.phase_changed.emit("idle", parts.backend.describe())
    assert "starting" in parts.window.status.text()
    parts.backend.url = address
    parts.controller.device_event(BackendReady())
    qtbot.waitUntil(lambda: "127.0.0.1" in parts.window.status.text(), timeout=5000)
    assert "starting" not in parts.window.status.text()
    assert parts.window.statusBar().currentMessage().endswith("ready")
