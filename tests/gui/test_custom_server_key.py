"""A team's server with a key (issue 11): the app takes the key from the OS keyring, Settings
stores and tests it, and a wrong key says so and offers the fix.

The keyring is a real `keyring` backend kept in memory for the test (the suite's default is
the null backend, which stores nothing), so the app's own keyring calls are exercised.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.audio.files import FileSource
from app.backends import CUSTOM_KEY_NAME, TOGETHER_MODELS
from app.core.errors import Fix
from app.main import Parts, build
from app.storage.secrets import SERVICE, get_secret
from app.storage.settings import Settings
from tests.conftest import Engine
from tests.speech import TEXTS, pcm, silence, wer


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.setenv("DICTATE_HOME", str(tmp_path))
    monkeypatch.delenv("DICTATE_API_KEY", raising=False)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


def _app(qtbot: QtBot, engine: Engine) -> Parts:
    audio = pcm("fox") + silence(0.5)
    parts = build(
        Settings(sounds=False, backend="custom", custom_url=engine.url),
        source_factory=lambda: FileSource(audio, realtime=False),
        instance_name=f"dictate-test-custom-key-{time.monotonic_ns()}",
    )
    qtbot.addWidget(parts.window)
    parts.window.show()
    return parts


def _close(parts: Parts) -> None:
    parts.instance.close()
    parts.backend.close()
    if parts.history is not None:
        parts.history.close()


def test_the_app_connects_to_a_custom_server_with_the_keyring_key(
    qtbot: QtBot, vault: MemoryKeyring, engine: Engine
) -> None:
    vault.set_password(SERVICE, CUSTOM_KEY_NAME, engine.token)
    parts = _app(qtbot, engine)
    try:
        assert parts.controller.backend.name == "custom"
        with qtbot.waitSignal(parts.controller.finished, timeout=60000) as finished:
            parts.controller.press()
            qtbot.waitUntil(lambda: parts.controller.phase.value == "listening", timeout=20000)
            parts.controller.release()
        assert wer(TEXTS["fox"], finished.args[0]) <= 0.35
    finally:
        _close(parts)


def test_a_wrong_key_gives_the_key_message_and_the_fix(
    qtbot: QtBot, vault: MemoryKeyring, engine: Engine
) -> None:
    vault.set_password(SERVICE, CUSTOM_KEY_NAME, "not-the-team-key")
    parts = _app(qtbot, engine)
    try:
        with qtbot.waitSignal(parts.controller.problem, timeout=30000) as problem:
            parts.controller.press()
        message, action = problem.args
        assert "refused the API key" in message, message
        assert action is Fix.SET_KEY
        parts.controller.release()
    finally:
        _close(parts)


def test_settings_test_and_store_the_custom_key(
    qtbot: QtBot, vault: MemoryKeyring, engine: Engine
) -> None:
    parts = _app(qtbot, engine)
    try:
        parts.actions.open_settings()
        qtbot.waitUntil(lambda: parts.actions.dialog is not None, timeout=10000)
        dialog = parts.actions.dialog
        assert dialog is not None
        offered = {
            box.itemText(i) for box in dialog.findChildren(QComboBox) for i in range(box.count())
        }
        assert set(TOGETHER_MODELS) <= offered

        dialog.custom_key.setText("not-the-team-key")
        dialog.test_custom_key.click()
        qtbot.waitUntil(lambda: "refused the API key" in dialog.key_result.text(), timeout=20000)
        dialog.custom_key.setText(engine.token)
        dialog.test_custom_key.click()
        qtbot.waitUntil(lambda: dialog.key_result.text() == "the key works", timeout=20000)

        dialog.accept()
        qtbot.waitUntil(lambda: get_secret(CUSTOM_KEY_NAME) == engine.token, timeout=10000)
        assert parts.controller.backend.api_key == engine.token
    finally:
        _close(parts)
