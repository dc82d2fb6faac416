"""The app when things go wrong, and the history and settings it keeps."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app import paths
from app.audio.capture import MicrophoneSource
from app.audio.files import FileSource
from app.backends import Backend
from app.core.errors import Fix
from app.main import Parts
from app.storage import settings as settings_store
from app.storage.history import History, HistoryKept, export
from app.storage.settings import Settings
from tests.app_parts import local_backend
from tests.conftest import Engine, start_engine
from tests.gui.conftest import MakeApp, open_settings_dialog
from tests.speech import TEXTS, pcm, silence, wer


def test_engine_killed_mid_dictation_keeps_the_audio_and_retry_recovers(
    qtbot: QtBot, home: Path, engine: Engine, make_app: MakeApp
) -> None:
    doomed = start_engine()
    backend = Backend("local", "openai/whisper-tiny.en", doomed.url, doomed.token)
    audio = pcm("weather") + silence(0.5)
    parts = make_app(
        Settings(sounds=False),
        source=lambda: FileSource(audio, realtime=True),
        backend=backend,
        name="kill",
        show=True,
    )
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
    controller.backend = local_backend(engine)
    with qtbot.waitSignal(controller.retried, timeout=60000) as retried:
        parts.window.banner_action.click()
    row, text, error = retried.args
    assert row == failed.id and not error
    assert wer(TEXTS["weather"], text) <= 0.25
    fixed = parts.history.get(row)
    assert fixed is not None and fixed.status == "ok" and fixed.text == text


def test_a_missing_microphone_says_so_and_offers_the_fix(
    qtbot: QtBot, home: Path, make_app: MakeApp
) -> None:
    backend = Backend("local", "openai/whisper-tiny.en", "ws://127.0.0.1:9/v1", "x")
    parts = make_app(
        Settings(sounds=False, microphone="USB headset that is not there"),
        source=lambda: MicrophoneSource("USB headset that is not there"),
        backend=backend,
        name="mic",
        show=True,
    )
    with qtbot.waitSignal(parts.controller.problem, timeout=20000) as problem:
        parts.controller.press()
    message, action = problem.args
    assert "microphone" in message.lower()
    assert action is Fix.CHOOSE_MICROPHONE
    qtbot.waitUntil(lambda: parts.controller.phase.value == "error", timeout=10000)


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
    assert settings_store.load(config) == Settings(first_run_done=True)  # not a first start
    assert (config / "settings.json").read_text() == "{broken"  # a command leaves it alone


def test_a_history_whose_folder_is_a_file_keeps_dictations_until_it_is_one(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data"
    folder.write_text("a file where the history's folder belongs")
    history = History(folder / "history.sqlite3")
    try:
        assert str(folder) in history.problem and "is not a folder" in history.problem
        assert history.search() == []  # nothing to show, nothing broken
        with pytest.raises(HistoryKept, match="kept in memory"):
            history.add("kept", started_at=1.0, duration_s=1.0, backend="local", model="m")
        assert history.write_pending() == 0 and history.problem  # still not a folder
        folder.unlink()
        folder.mkdir()
        assert history.write_pending() == 1 and not history.problem
        assert [d.text for d in history.search()] == ["kept"]
    finally:
        history.close()


def test_history_panel_lists_and_exports(
    qtbot: QtBot, home: Path, tmp_path: Path, make_app: MakeApp
) -> None:
    backend = Backend("local", "openai/whisper-tiny.en", "ws://127.0.0.1:9/v1", "x")
    parts = make_app(Settings(sounds=False), backend=backend, name="hist", show=True)
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


def test_settings_dialog_saves_and_switches_the_backend(
    qtbot: QtBot, home: Path, engine: Engine, make_app: MakeApp
) -> None:
    backend = Backend("local", "openai/whisper-tiny.en", "ws://127.0.0.1:9/v1", "x")
    parts = make_app(Settings(sounds=False), backend=backend, name="set")
    dialog = open_settings_dialog(qtbot, parts)
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


def test_auto_backend_follows_the_key_and_uses_the_models_of_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.backends import backend_for

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


def _start(make_app: MakeApp) -> Parts:
    """The app as `dictate` starts it: the settings read from the user's file."""
    backend = Backend("local", "openai/whisper-tiny.en", "ws://127.0.0.1:9/v1", "x")
    return make_app(None, backend=backend, show=True)


def test_a_damaged_settings_file_is_kept_said_and_not_a_first_start(
    qtbot: QtBot, home: Path, caplog: pytest.LogCaptureFixture, make_app: MakeApp
) -> None:
    config = paths.config_dir()
    (config / "settings.json.bad").write_text("an earlier damaged copy")
    garbage = b"\x89PNG\r\n\x1a\n\x00\xff\xfe not settings at all"
    (config / "settings.json").write_bytes(garbage)
    with caplog.at_level(logging.WARNING):
        parts = _start(make_app)
    try:
        kept = config / "settings.json.bad-2"
        assert kept.read_bytes() == garbage  # the damaged file, kept byte for byte...
        assert (config / "settings.json.bad").read_text() == "an earlier damaged copy"  # ...aside
        said = parts.window.notice_text()
        assert "settings file was damaged" in said and str(kept) in said
        assert "defaults in use" in said
        assert any(str(kept) in r.getMessage() for r in caplog.records)  # and logged
        parts.first_run.open_if_new()
        assert parts.first_run.dialog is None  # not the welcome of a new user
        # The file holds good settings again: the next start says nothing and asks nothing.
        again = settings_store.read(config)
        assert not again.damage and again.settings.first_run_done
        # The notice lasts (no fade) until the settings are saved again.
        qtbot.wait(50)
        assert "damaged" in parts.window.notice_text()
        parts.settings.apply(_changed(parts))
        assert "damaged" not in parts.window.notice_text()
    finally:
        parts.shutdown()


def _changed(parts: Parts) -> Settings:
    edited = parts.settings.edit()
    edited.language = "de"
    return edited


def test_settings_with_one_bad_value_keep_the_others(
    qtbot: QtBot, home: Path, caplog: pytest.LogCaptureFixture, make_app: MakeApp
) -> None:
    config = paths.config_dir()
    stored = {"version": 1, "settings": {
        "language": 3, "hotkey": "<ctrl>+<alt>+k", "hotkey_mode": "sideways",
        "vocabulary": ["Kubernetes", 7], "rules": [["new paragraph", "\n\n"]],
        "first_run_done": True, "auto_stop_s": 12,
    }}  # fmt: skip
    text = json.dumps(stored)
    (config / "settings.json").write_text(text)
    with caplog.at_level(logging.WARNING):
        parts = _start(make_app)
    try:
        now = parts.settings.current
        assert (now.hotkey, now.vocabulary, now.auto_stop_s) == (
            "<ctrl>+<alt>+k",
            ["Kubernetes"],
            12,
        )
        assert now.rules == [["new paragraph", "\n\n"]]
        assert (now.language, now.hotkey_mode) == ("en", "hold")  # the bad ones: defaults
        kept = config / "settings.json.bad"
        assert kept.read_text() == text
        said = parts.window.notice_text()
        assert "'language'" in said and "'hotkey_mode'" in said and str(kept) in said
        assert "'vocabulary'" in said  # its one bad word dropped, the good one kept
        assert "other settings kept" in said
        assert any("'language'" in r.getMessage() for r in caplog.records)
        parts.first_run.open_if_new()
        assert parts.first_run.dialog is None
        saved = settings_store.load(config)  # written back: what was readable is not lost
        assert saved.hotkey == "<ctrl>+<alt>+k" and saved.vocabulary == ["Kubernetes"]
    finally:
        parts.shutdown()


def test_an_unwritable_history_is_said_read_and_its_dictations_kept_until_written(
    qtbot: QtBot, home: Path, engine: Engine, caplog: pytest.LogCaptureFixture, make_app: MakeApp
) -> None:
    folder = paths.data_dir()
    path = folder / "history.sqlite3"
    old = History(path)
    for n, text in enumerate(("an older note", "a newer note")):
        old.add(text, started_at=1000.0 + n, duration_s=1.0, backend="local", model="m")
    old.close()
    # The history's journal cannot be made: its place is taken by a folder. Unlike a chmod,
    # this stops root too (the suite runs as root in CI).
    blocked = folder / "history.sqlite3-wal"
    blocked.mkdir()
    audio = pcm("weather") + silence(0.5)
    with caplog.at_level(logging.INFO):
        settings = Settings(sounds=False, overlay=False)
        source = lambda: FileSource(audio, realtime=False)  # noqa: E731
        parts = make_app(settings, source=source, name="ro-history", backend=local_backend(engine))
        try:
            _unwritable_history(qtbot, parts, folder, blocked)
        finally:
            parts.shutdown()
    logged = [r.getMessage() for r in caplog.records]
    assert any("cannot be written" in m and str(folder) in m for m in logged)
    assert any("kept in memory" in m for m in logged)
    assert any("can be written again" in m for m in logged)


def _unwritable_history(qtbot: QtBot, parts: Parts, folder: Path, blocked: Path) -> None:
    said = parts.window.notice_text()
    assert (
        str(folder) in said and "Is a directory" in said and "kept in memory" in said
    )  # where, and why
    history = parts.history
    assert history is not None and history.problem
    parts.actions.open_history()  # the old dictations still show
    panel = parts.actions.panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.list.count() == 2, timeout=5000)
    assert "a newer note" in panel.list.item(0).text()
    assert "cannot be written" in panel.info.text()  # and the panel says it is read-only

    parts.controller.press()
    qtbot.waitUntil(lambda: parts.controller.phase.value == "listening", timeout=20000)
    with qtbot.waitSignal(parts.controller.finished, timeout=60000) as finished:
        parts.controller.release()
    text, row = finished.args
    assert text.strip() and row == 0  # delivered, not written...
    assert [k["text"] for k in history.pending] == [text]  # ...but kept
    assert "history" in parts.window.notice_text()

    shutil.rmtree(blocked)  # the history can be written again
    assert parts.history_watch is not None
    parts.history_watch.timer.setInterval(100)  # tried again on its own, sooner than usual
    qtbot.waitUntil(lambda: not history.problem, timeout=10000)
    qtbot.waitUntil(lambda: "written again" in parts.window.notice_text(), timeout=5000)
    assert not history.pending
    again = History(folder / "history.sqlite3")  # on disk, as the next start reads it
    try:
        assert [d.text for d in again.search()] == [text, "a newer note", "an older note"]
    finally:
        again.close()
