"""A desktop without an OS keyring (keyring's fail backend, as without a Secret Service):
Settings says so before Save and offers where the key goes; a save that cannot keep the key
changes nothing and names the variable that backend reads; a key kept in the user's key file
(mode 0600) works now and after a restart (the app built again on the same home).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from pytestqt.qtbot import QtBot

from app import paths
from app.audio.files import FileSource
from app.backends import CUSTOM_KEY_NAME
from app.storage import settings as settings_store
from app.storage.secrets import KEY_FILE, get_secret
from app.storage.settings import Settings
from app.ui.settings_dialog import SettingsDialog
from tests.app_parts import local_backend
from tests.conftest import Engine
from tests.gui.conftest import MakeApp, open_settings_dialog
from tests.speech import TEXTS, pcm, silence, wer


def _custom(dialog: SettingsDialog, url: str, key: str) -> None:
    dialog.backend.setCurrentIndex(dialog.backend.findData("custom"))
    dialog.custom_url.setText(url)
    dialog.custom_key.setText(key)


def test_without_a_keyring_save_is_all_or_nothing_and_the_key_file_survives_a_restart(
    qtbot: QtBot, no_keyring: Path, engine: Engine, make_app: MakeApp
) -> None:
    audio = pcm("fox") + silence(0.5)
    parts = make_app(
        Settings(sounds=False, overlay=False), name="no-keyring", backend=local_backend(engine)
    )
    window, config = parts.window, paths.config_dir()
    window.show()
    try:
        # A save that must use the keyring (as the first-run setup's does): nothing changes.
        wanted = parts.settings.edit()
        wanted.backend, wanted.custom_url = "custom", engine.url
        parts.actions.apply(wanted, server_key=engine.token)
        qtbot.waitUntil(window.banner.isVisible, timeout=10000)
        message = window.banner_text.text()
        assert message.startswith("nothing was saved") and "no OS keyring" in message, message
        assert "DICTATE_API_KEY" in message and "TOGETHER_API_KEY" not in message
        assert "http" not in message and "recommended backend" not in message
        assert parts.settings.current.backend == "auto"
        assert not (config / "settings.json").exists()
        assert parts.controller.backend.name == "local"

        # Settings says there is no keyring and offers where the key goes, naming the
        # variable of the backend chosen.
        dialog = open_settings_dialog(qtbot, parts)
        _custom(dialog, engine.url, engine.token)
        store = dialog.transcription.key_store
        assert store.isVisibleTo(dialog) and store.currentData() == "file"
        note = dialog.transcription.key_store_note
        assert "no OS keyring" in note.text() and str(config / KEY_FILE) in note.text()
        assert "DICTATE_API_KEY" in note.text()
        dialog.backend.setCurrentIndex(dialog.backend.findData("together"))
        assert "TOGETHER_API_KEY" in note.text() and "DICTATE_API_KEY" not in note.text()
        dialog.backend.setCurrentIndex(dialog.backend.findData("local"))
        assert not store.isVisibleTo(dialog)  # no key to keep

        # Kept in the key file: everything applies, and says where the key is.
        _custom(dialog, engine.url, engine.token)
        dialog.accept()
        qtbot.waitUntil(lambda: parts.controller.backend.name == "custom", timeout=20000)
        assert parts.controller.backend.api_key == engine.token
        keys = config / KEY_FILE
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600
        assert json.loads(keys.read_text()) == {CUSTOM_KEY_NAME: engine.token}
        assert settings_store.load(config).backend == "custom"
        assert not window.banner.isVisible()
    finally:
        parts.shutdown()

    # A restart: the app built again on the same home finds its settings and its key.
    again = make_app(source=lambda: FileSource(audio, realtime=False), name="no-keyring-again")
    try:
        assert get_secret(CUSTOM_KEY_NAME) == engine.token
        backend = again.controller.backend
        assert (backend.name, backend.url, backend.api_key) == ("custom", engine.url, engine.token)
        with qtbot.waitSignal(again.controller.finished, timeout=60000) as finished:
            again.controller.press()
            qtbot.waitUntil(lambda: again.controller.phase.value == "listening", timeout=20000)
            again.controller.release()
        assert wer(TEXTS["fox"], finished.args[0]) <= 0.35
        assert again.history is not None and again.history.search()[0].status == "ok"
    finally:
        again.shutdown()


def test_without_a_keyring_the_environment_choice_says_which_variable_to_set(
    qtbot: QtBot, no_keyring: Path, engine: Engine, make_app: MakeApp
) -> None:
    parts = make_app(
        Settings(sounds=False, overlay=False), name="no-keyring-env", backend=local_backend(engine)
    )
    try:
        dialog = open_settings_dialog(qtbot, parts)
        _custom(dialog, engine.url, engine.token)
        store = dialog.transcription.key_store
        store.setCurrentIndex(store.findData("environment"))
        assert "set DICTATE_API_KEY" in dialog.transcription.key_store_note.text()
        dialog.accept()
        # This session uses the key; nothing is written where the key could be read.
        qtbot.waitUntil(lambda: parts.controller.backend.name == "custom", timeout=20000)
        assert parts.controller.backend.api_key == engine.token
        assert "set DICTATE_API_KEY" in parts.window.notice_text()
        assert not (paths.config_dir() / KEY_FILE).exists()
        assert engine.token not in (paths.config_dir() / "settings.json").read_text()
    finally:
        parts.shutdown()
