"""The app when things go wrong, and the history and settings it keeps."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app import paths
from app.audio.capture import MicrophoneSource
from app.audio.files import FileSource
from app.backends import Backend
from app.core.errors import Fix
from app.main import build
from app.storage import settings as settings_store
from app.storage.history import History, export
from app.storage.settings import Settings
from tests.conftest import Engine, start_engine
from tests.speech import TEXTS, pcm, silence, wer


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DICTATE_HOME", str(tmp_path))
    return tmp_path


def test_engine_killed_mid_dictation_keeps_the_audio_and_retry_recovers(
    qtbot: QtBot, home: Path, engine: Engine
) -> None:
    doomed = start_engine()
    backend = Backend("local", "openai/whisper-tiny.en", doomed.url, doomed.token)
    audio = pcm("weather") + silence(0.5)
    parts = build(
        Settings(sounds=False),
        source_factory=lambda: FileSource(audio, realtime=True),
        backend=backend,
        instance_name=f"dictate-test-kill-{time.monotonic_ns()}",
    )
    qtbot.addWidget(parts.window)
    parts.window.show()
    controller = parts.controller
    controller.press()
    qtbot.waitUntil(lambda: bool(parts.window.transcript.all_text().strip()), timeout=15000)
    doomed.embedded.stop()  # the engine dies while the user is still speaking
    # Reconnecting gives up; the dictation records on until the user stops it.
    qtbot.waitUntil(lambda: "still recording" in parts.window.notice_text(), timeout=60000)
    assert controller.phase.value == "listening"
    controller.release()
    qtbot.waitUntil(lambda: controller.phase.value == "error", timeout=60000)
    assert parts.window.banner.isVisible()
    assert "audio is saved" in parts.window.banner_text.text()
    assert parts.window.banner_action.text() == "Retry"
    assert parts.history is not None
    failed = parts.history.search()[0]
    assert failed.status == "failed" and failed.has_audio
    assert controller.last_failed_row == failed.id
    # Back online (another engine), Retry turns the saved audio into text.
    controller.backend = Backend("local", "openai/whisper-tiny.en", engine.url, engine.token)
    with qtbot.waitSignal(controller.retried, timeout=60000) as retried:
        parts.window.banner_action.click()
    row, text, error = retried.args
    assert row == failed.id and not error
    assert wer(TEXTS["weather"], text) <= 0.25
    fixed = parts.history.get(row)
    assert fixed is not None and fixed.status == "ok" and fixed.text == text
    parts.instance.close()
    parts.history.close()


def test_a_missing_microphone_says_so_and_offers_the_fix(qtbot: QtBot, home: Path) -> None:
    backend = Backend("local", "openai/whisper-tiny.en", "ws://127.0.0.1:9/v1", "x")
    parts = build(
        Settings(sounds=False, microphone="USB headset that is not there"),
        source_factory=lambda: MicrophoneSource("USB headset that is not there"),
        backend=backend,
        instance_name=f"dictate-test-mic-{time.monotonic_ns()}",
    )
    qtbot.addWidget(parts.window)
    parts.window.show()
    with qtbot.waitSignal(parts.controller.problem, timeout=20000) as problem:
        parts.controller.press()
    message, action = problem.args
    assert "microphone" in message.lower()
    assert action is Fix.CHOOSE_MICROPHONE
    qtbot.waitUntil(lambda: parts.controller.phase.value == "error", timeout=10000)
    parts.instance.close()


def test_history_search_delete_and_export(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    first = history.add(
        "buy milk and eggs",
        started_at=1000.0,
        duration_s=2.0,
        backend="local",
        model="m",
        audio=b"\x00\x01" * 10,
    )
    failed = history.add(
        "call the plumber",
        started_at=2000.0,
        duration_s=3.0,
        backend="local",
        model="m",
        status="failed",
        error="network down",
        audio=b"\x00\x00" * 5,
    )
    assert [d.text for d in history.search()] == ["call the plumber", "buy milk and eggs"]
    assert [d.id for d in history.search("milk")] == [first]
    assert history.search("50%_") == []  # LIKE wildcards are matched literally
    assert history.audio(first) == b"\x00\x01" * 10
    md = export(history.search(), "markdown")
    assert md.index("buy milk") < md.index("call the plumber") and "(failed)" in md
    data = json.loads(export(history.search(), "json"))
    assert data[1]["error"] == "network down"
    assert export(history.search(), "text") == "buy milk and eggs\n\ncall the plumber\n"
    history.delete(first)
    assert history.audio(first) is None and len(history.search()) == 1
    # Audio past the retention limit goes, except for failed dictations (kept to retry).
    old = history.add("old note", started_at=1500.0, duration_s=1.0, backend="local",
                      model="m", audio=b"\x01\x00" * 4)  # fmt: skip
    recent = history.add("recent note", started_at=2000.0 + 20 * 86400, duration_s=1.0,
                         backend="local", model="m", audio=b"\x02\x00" * 4)  # fmt: skip
    assert history.prune_audio(now=2000.0 + 31 * 86400) == 1
    assert history.audio(old) is None and history.get(old) is not None  # the text stays
    assert history.audio(recent) == b"\x02\x00" * 4
    assert history.audio(failed) == b"\x00\x00" * 5
    history.close()
    # It survives a reopen (as after a crash): WAL and durable commits.
    again = History(tmp_path / "h.sqlite3")
    assert [d.text for d in again.search()] == ["recent note", "call the plumber", "old note"]
    again.close()


def test_settings_persist_with_a_version_and_survive_bad_files(home: Path) -> None:
    config = paths.config_dir()
    s = Settings(backend="local", language="de", vad_min_silence_ms=1200, auto_paste=True)
    settings_store.save(config, s)
    stored = json.loads((config / "settings.json").read_text())
    assert stored["version"] == settings_store.SCHEMA_VERSION
    assert "api_key" not in json.dumps(stored)
    loaded = settings_store.load(config)
    assert loaded == s
    (config / "settings.json").write_text(json.dumps({"settings": {"language": 3, "odd": 1}}))
    assert settings_store.load(config).language == "en"  # wrong type: default
    (config / "settings.json").write_text("{broken")
    assert settings_store.load(config) == Settings()
    assert (config / "settings.json.bad").exists()


def test_history_panel_lists_and_exports(qtbot: QtBot, home: Path, tmp_path: Path) -> None:
    backend = Backend("local", "openai/whisper-tiny.en", "ws://127.0.0.1:9/v1", "x")
    parts = build(
        Settings(sounds=False),
        backend=backend,
        instance_name=f"dictate-test-hist-{time.monotonic_ns()}",
    )
    qtbot.addWidget(parts.window)
    parts.window.show()
    assert parts.history is not None
    parts.history.add(
        "hello history", started_at=time.time(), duration_s=1.0, backend="local", model="m"
    )
    parts.actions.open_history()
    panel = parts.actions.panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=5000)
    assert "hello history" in panel.list.item(0).text()
    panel.search.setText("nothing like this")
    qtbot.waitUntil(lambda: panel.list.count() == 0, timeout=5000)
    panel.search.setText("hello")
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=5000)
    target = tmp_path / "out.md"
    panel.export_to(target, "markdown")
    qtbot.waitUntil(target.exists, timeout=5000)
    assert "hello history" in target.read_text()
    parts.instance.close()


def test_settings_dialog_saves_and_switches_the_backend(
    qtbot: QtBot, home: Path, engine: Engine
) -> None:
    backend = Backend("local", "openai/whisper-tiny.en", "ws://127.0.0.1:9/v1", "x")
    parts = build(
        Settings(sounds=False),
        backend=backend,
        instance_name=f"dictate-test-set-{time.monotonic_ns()}",
    )
    qtbot.addWidget(parts.window)
    parts.actions.open_settings()
    qtbot.waitUntil(lambda: parts.actions.dialog is not None, timeout=10000)
    dialog = parts.actions.dialog
    assert dialog is not None
    dialog.backend.setCurrentIndex(3)  # custom URL
    dialog.custom_url.setText(engine.url)
    dialog.language.setCurrentIndex(dialog.language.findData("de"))
    dialog.preset.setCurrentText("noisy room")
    assert dialog.threshold.value() == 0.6
    dialog.mic_test.setChecked(True)  # no microphone here: said, not crashed
    qtbot.waitUntil(lambda: not dialog.mic_test.isChecked(), timeout=10000)
    dialog.accept()
    qtbot.waitUntil((paths.config_dir() / "settings.json").exists, timeout=5000)
    saved = settings_store.load(paths.config_dir())
    assert (saved.backend, saved.custom_url, saved.language) == ("custom", engine.url, "de")
    assert saved.vad_threshold == 0.6
    # The new backend is built off the GUI thread; the old one serves until it is there.
    qtbot.waitUntil(lambda: parts.controller.backend.name == "custom", timeout=10000)
    assert parts.controller.backend.url == engine.url
    assert "custom server" in parts.window.status.text()
    parts.instance.close()


def test_auto_backend_follows_the_key_and_uses_the_models_of_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.main import backend_for

    settings = Settings(backend="auto")
    settings.models["together"] = "openai/whisper-large-v3-turbo"
    monkeypatch.setenv("TOGETHER_API_KEY", "k")
    together = backend_for(settings)
    assert (together.name, together.model) == ("together", "openai/whisper-large-v3-turbo")
    monkeypatch.setenv("TOGETHER_API_KEY", "")
    local = backend_for(settings)
    try:
        assert (local.name, local.model) == ("local", "openai/whisper-tiny.en")
    finally:
        local.close()
