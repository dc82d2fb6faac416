"""A team's server with a key (issue 11): the app takes the key from the OS keyring, Settings
stores and tests it, and a wrong key says so and offers the fix.

The keyring is a real `keyring` backend kept in memory for the test (`vault`; the suite's
default is the null backend, which stores nothing), so the app's own keyring calls are
exercised.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app import paths
from app.audio.files import FileSource
from app.backends import CUSTOM_KEY_NAME, TOGETHER_MODELS
from app.core.errors import Fix
from app.main import Parts
from app.storage.secrets import SERVICE, get_secret
from app.storage.settings import Settings
from tests.conftest import Engine
from tests.file_keyring import MemoryKeyring
from tests.gui.conftest import MakeApp, open_settings_dialog
from tests.speech import TEXTS, pcm, silence, wer


def _app(make_app: MakeApp, engine: Engine) -> Parts:
    audio = pcm("fox") + silence(0.5)
    return make_app(
        Settings(sounds=False, backend="custom", custom_url=engine.url),
        source=lambda: FileSource(audio, realtime=False),
        name="custom-key",
        show=True,
    )


def test_the_app_connects_to_a_custom_server_with_the_keyring_key(
    qtbot: QtBot, vault: MemoryKeyring, engine: Engine, make_app: MakeApp
) -> None:
    vault.set_password(SERVICE, CUSTOM_KEY_NAME, engine.token)
    parts = _app(make_app, engine)
    try:
        assert parts.controller.backend.name == "custom"
        with qtbot.waitSignal(parts.controller.finished, timeout=60000) as finished:
            parts.controller.press()
            qtbot.waitUntil(lambda: parts.controller.phase.value == "listening", timeout=20000)
            parts.controller.release()
        assert wer(TEXTS["fox"], finished.args[0]) <= 0.35
    finally:
        parts.backend.close()


def test_a_wrong_key_gives_the_key_message_and_the_fix(
    qtbot: QtBot, vault: MemoryKeyring, engine: Engine, make_app: MakeApp
) -> None:
    vault.set_password(SERVICE, CUSTOM_KEY_NAME, "not-the-team-key")
    parts = _app(make_app, engine)
    try:
        # The refusal is said at once, and the dictation goes on until the user stops it.
        parts.controller.press()
        qtbot.waitUntil(lambda: "still recording" in parts.window.notice_text(), timeout=30000)
        assert parts.controller.phase.value == "listening"
        with qtbot.waitSignal(parts.controller.problem, timeout=30000) as problem:
            parts.controller.release()
        message, action = problem.args
        assert "refused the API key" in message, message
        assert action is Fix.SET_KEY
    finally:
        parts.backend.close()


def test_settings_test_and_store_the_custom_key(
    qtbot: QtBot, vault: MemoryKeyring, engine: Engine, make_app: MakeApp
) -> None:
    parts = _app(make_app, engine)
    try:
        dialog = open_settings_dialog(qtbot, parts)
        offered = {
            box.itemText(i) for box in dialog.findChildren(QComboBox) for i in range(box.count())
        }
        assert set(TOGETHER_MODELS) <= offered

        dialog.custom_key.setText("not-the-team-key")
        dialog.test_custom_key.click()
        result = dialog.custom_key_result  # under the custom server's key, not Together's
        qtbot.waitUntil(lambda: "refused the API key" in result.text(), timeout=20000)
        dialog.custom_key.setText(engine.token)
        dialog.test_custom_key.click()
        qtbot.waitUntil(lambda: result.text() == "the key works", timeout=20000)
        assert dialog.key_result.text() == ""

        dialog.accept()
        qtbot.waitUntil(lambda: get_secret(CUSTOM_KEY_NAME) == engine.token, timeout=10000)
        # The new backend is built off the GUI thread, after the key is kept.
        qtbot.waitUntil(lambda: parts.controller.backend.api_key == engine.token, timeout=20000)
    finally:
        parts.backend.close()


def test_a_save_that_cannot_write_the_settings_keeps_the_old_key_and_settings(
    qtbot: QtBot, vault: MemoryKeyring, engine: Engine, make_app: MakeApp
) -> None:
    vault.set_password(SERVICE, CUSTOM_KEY_NAME, "old-key")
    parts = _app(make_app, engine)
    try:
        blocked = paths.config_dir() / "settings.json"  # a folder: the file cannot replace it
        blocked.mkdir()
        (blocked / "inside").write_text("")
        edited = parts.settings.edit()
        edited.language = "de"
        parts.actions.apply(edited, server_key="new-key")
        window = parts.window
        qtbot.waitUntil(window.banner.isVisible, timeout=10000)
        message = window.banner_text.text()
        assert message.startswith("nothing was saved: the settings could not be written"), message
        assert vault.get_password(SERVICE, CUSTOM_KEY_NAME) == "old-key"  # put back
        assert parts.settings.current.language != "de"
        assert parts.controller.backend.api_key == "old-key"
    finally:
        parts.backend.close()
