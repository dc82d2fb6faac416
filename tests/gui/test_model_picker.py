"""The local model picker in Settings, against the local hub mirror and the real engine:
a download shows its progress, a dictation during the download is not held up, and the
accepted model is loaded in the background and used without restarting the engine."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QIcon
from pytestqt.qtbot import QtBot

from app.audio.files import FileSource
from app.main import Parts
from app.models import catalog, store
from app.models.catalog import CatalogEntry
from app.storage.settings import Settings
from app.ui.tray import Tray
from tests.gui.conftest import MakeApp, open_settings_dialog
from tests.hub_mirror import REPO, Mirror, serve_bundled
from tests.speech import TEXTS, pcm, silence, wer

NAME = "test-tiny.en"  # a catalogue entry whose repository is the mirror's copy of tiny.en
MODEL_ID = f"openai/whisper-{NAME}"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    mirror = serve_bundled(monkeypatch, tmp_path)
    entry = CatalogEntry(NAME, REPO, 78, "39 M", "MIT")
    monkeypatch.setattr(catalog, "CATALOG", (*catalog.CATALOG, entry))
    yield mirror
    mirror.stop()


@pytest.fixture
def app(make_app: MakeApp, hub: Mirror) -> Iterator[Parts]:
    audio = pcm("fox") + silence(0.5)
    parts = make_app(
        Settings(sounds=False, backend="local"),
        source=lambda: FileSource(audio, realtime=False),
        name="picker",
    )
    parts.backend.wait_ready(120)
    yield parts
    parts.backend.close()  # the app's own engine, started on the mirror's model


def _dictate(qtbot: QtBot, parts: Parts) -> tuple[str, float]:
    """(text, seconds from release to the final) of one dictation of the fox clip."""
    c = parts.controller
    with qtbot.waitSignal(c.finished, timeout=60000) as finished:
        c.press()
        qtbot.waitUntil(lambda: c.phase.value == "listening", timeout=20000)
        released = time.monotonic()
        c.release()
    return str(finished.args[0]), time.monotonic() - released


def test_download_progress_then_switch_without_restart(
    qtbot: QtBot, hub: Mirror, app: Parts
) -> None:
    hub.rate["model.bin"] = 20e6  # ~4 s: a slow link, so the download is seen in flight
    dialog = open_settings_dialog(qtbot, app)
    picker = dialog.local_model
    assert not dialog.language.isEnabled()  # tiny.en is English-only: no language to choose
    picker.box.setCurrentIndex(picker.box.findData("small"))
    assert dialog.language.isEnabled() and "auto-detect" in picker.note.text()
    picker.box.setCurrentIndex(picker.box.findData(NAME))
    assert not dialog.language.isEnabled() and "English only" in picker.note.text()
    assert "download, ~78.0 MB, English only" in picker.box.currentText()
    assert not picker.delete.isEnabled() and picker.text() == "openai/whisper-tiny.en"
    downloads = app.actions.downloads
    tray = Tray(QIcon())  # no tray host offscreen: the icon is not shown, its tooltip is kept
    downloads.progress.connect(tray.on_download)  # as main.wire connects them
    downloads.finished.connect(tray.on_download_finished)
    with qtbot.waitSignal(downloads.finished, timeout=60000) as done:
        picker.download.click()
        qtbot.waitUntil(lambda: 100 < picker.bar.value() < 900, timeout=20000)
        assert picker.bar.isVisible() and " MB of 78.1 MB at " in picker.bar.format()
        assert picker.cancel.isEnabled() and store.get(NAME) is None  # never offered half done
        assert re.fullmatch(rf"Dictate · downloading {NAME}: \d+% at .+/s", tray.icon.toolTip()), (
            tray.icon.toolTip()
        )

        text, final_s = _dictate(qtbot, app)  # a session while the bytes arrive
        assert downloads.running(NAME), "the download ended before the session: no overlap"
        assert wer(TEXTS["fox"], text) <= 0.35, text
        assert final_s < 5.0, f"the final took {final_s:.1f} s during the download"
    assert done.args == [NAME, ""]
    assert tray.icon.toolTip() == f"Dictate · {NAME} ready"
    assert "installed" in picker.box.currentText() and picker.delete.isEnabled()

    engine = app.backend.engine
    assert engine is not None
    dialog.accept()
    qtbot.waitUntil(lambda: app.controller.backend.model == MODEL_ID, timeout=60000)
    assert app.controller.backend.engine is engine  # the same engine: no restart
    shown = re.compile(rf"\({re.escape(MODEL_ID)} on (CPU|CUDA) at ")  # the device, in words
    qtbot.waitUntil(lambda: bool(shown.search(app.window.status.text())), timeout=5000)
    recognizer = engine.server.registry.loaded(MODEL_ID)
    assert recognizer is not None and str(store.root()) in recognizer.spec.path
    text, _ = _dictate(qtbot, app)
    assert wer(TEXTS["fox"], text) <= 0.35, text
    assert app.controller.settings.model_for("local") == MODEL_ID

    # The model in use cannot be deleted; tiny.en is bundled.
    picker = open_settings_dialog(qtbot, app).local_model
    assert picker.selected() == NAME and not picker.delete.isEnabled()
    picker.box.setCurrentIndex(picker.box.findData("tiny.en"))
    assert "bundled" in picker.box.currentText() and not picker.delete.isEnabled()
